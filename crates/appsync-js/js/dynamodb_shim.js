// `@aws-appsync/utils/dynamodb` as each evaluation's fresh context sees it: the frozen module of
// the worker's library realm (dynamodb.js).

const module = globalThis.__appsync_dynamodb;
delete globalThis.__appsync_dynamodb;

export const get = module.get;
export const put = module.put;
export const remove = module.remove;
export const update = module.update;
export const scan = module.scan;
export const query = module.query;
export const operations = module.operations;
export const batchGet = module.batchGet;
export const batchPut = module.batchPut;
export const batchDelete = module.batchDelete;
export const transactGet = module.transactGet;
export const transactWrite = module.transactWrite;
export const toStringSet = module.toStringSet;
export const toNumberSet = module.toNumberSet;
export const toBinarySet = module.toBinarySet;
