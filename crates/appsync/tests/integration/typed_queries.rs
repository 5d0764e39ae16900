use appsync::Auth;
use graphql_client::{GraphQLQuery, QueryBody};
use serde::{Deserialize, Serialize};

use crate::client;
use crate::support::TestServer;

/// What `#[derive(GraphQLQuery)]` generates, written out.
struct GetPost;

#[derive(Serialize)]
struct Variables {
    id: String,
}

#[derive(Deserialize, Debug, PartialEq)]
struct ResponseData {
    #[serde(rename = "getPost")]
    get_post: Option<Post>,
}

#[derive(Deserialize, Debug, PartialEq)]
struct Post {
    id: String,
    title: String,
}

impl GraphQLQuery for GetPost {
    type Variables = Variables;
    type ResponseData = ResponseData;

    fn build_query(variables: Variables) -> QueryBody<Variables> {
        QueryBody {
            variables,
            query: "query GetPost($id: ID!) { getPost(id: $id) { id title } }",
            operation_name: "GetPost",
        }
    }
}

#[tokio::test]
async fn graphql_client_queries_run_typed() {
    let server = TestServer::start().await;
    server.allow_api_key("k");
    let client = client(&server, Auth::api_key("k"));
    let data =
        client.graphql_query::<GetPost>(Variables { id: "7".into() }).await.unwrap().into_result().unwrap();
    assert_eq!(data.get_post, Some(Post { id: "7".into(), title: "hello".into() }));
    assert_eq!(server.seen()[0].body["operationName"], "GetPost");
}
