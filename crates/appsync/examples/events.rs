//! AppSync Events: subscribe to a channel, publish over HTTP and over the WebSocket, read the
//! events back. Against the emulator (`cargo run -p appsync-cli -- local`, Events on
//! `http://127.0.0.1:4000/event` with its demo API key), or another endpoint and API key:
//!
//! ```sh
//! cargo run -p appsync --example events [-- URL API_KEY]
//! ```

use appsync::Auth;
use appsync::events::EventsClient;
use futures_util::StreamExt as _;

#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Message {
    text: String,
}

#[tokio::main]
async fn main() -> Result<(), appsync::Error> {
    let mut args = std::env::args().skip(1);
    let url = args.next().unwrap_or_else(|| "http://127.0.0.1:4000/event".to_owned());
    let api_key = args.next().unwrap_or_else(|| "da2-appsynclocaldemokey0000".to_owned());
    let client = EventsClient::builder().endpoint(url).auth(Auth::api_key(api_key)).build()?;

    // Resolves once AppSync has answered subscribe_success: every later publish is delivered.
    let mut room = client.subscribe::<Message>("/default/rooms/*").await?;

    // Over HTTP: any Serialize values, each sent as its JSON text; more than 5 are split.
    let result = client.publish("/default/rooms/1", [Message { text: "hello".into() }]).await?;
    for event in result.events() {
        println!("event {}: {:?} ok={}", event.index(), event.identifier(), event.is_ok());
    }
    // Over the same WebSocket as the subscription, resolving on publish_success.
    client.publish_ws("/default/rooms/2", [Message { text: "world".into() }]).await?;

    for _ in 0..2 {
        if let Some(message) = room.next().await {
            println!("{:?}", message?);
        }
    }
    client.close().await; // unsubscribes and closes the socket politely
    Ok(())
}
