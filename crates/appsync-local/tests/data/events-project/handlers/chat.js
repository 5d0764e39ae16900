// The `chat` namespace's handlers: words from a list are refused, private rooms are refused to
// subscribers, every other event is broadcast with its room.
import { util } from '@aws-appsync/utils';

const BANNED = ['spam'];

export function onPublish(ctx) {
  if (ctx.events.some((e) => BANNED.includes(e.payload.text))) {
    util.error('Banned word', 'BadRequestException');
  }
  return ctx.events.map((e) => ({ id: e.id, payload: { ...e.payload, room: ctx.info.channel.segments[1] } }));
}

export function onSubscribe(ctx) {
  if (ctx.info.channel.segments[1] === 'private') {
    util.unauthorized();
  }
}
