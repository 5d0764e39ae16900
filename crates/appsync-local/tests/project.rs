//! The project reader against the fixture CDK app's committed cdk.out, the same API as a
//! hand-written YAML template, a small JSON template, and AWS's sample templates.
#![allow(missing_docs)]
// Helpers outside `#[test]` functions: a failed unwrap is the test failing.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::{Path, PathBuf};

use appsync_local::project::{
    ApiDefinition, DataSourceKind, IamSigning, KeyType, ProjectReader, ResolverKind,
};
use appsync_local::{ApiKey, AuthMode, Credentials, Emulator};
use serde_json::json;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(path: &str) -> PathBuf {
    repo().join("fixtures").join(path)
}

/// A template written to a fresh file, for the error cases.
fn temp_template(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("appsync-project-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("template.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

/// What must be the same however the fixture API is written down.
fn assert_fixture_api(api: &ApiDefinition) {
    assert_eq!(api.default_auth, AuthMode::ApiKey);
    assert_eq!(api.additional_auth, [AuthMode::Iam]);
    assert_eq!(api.environment.get("GREETING").map(String::as_str), Some("hello"));
    assert_eq!(
        api.environment.get("POSTS_TABLE"),
        Some(&api.tables[0].name),
        "a Ref of the table is its name, for the resolvers that name it (transactions)"
    );
    assert!(api.schema.contains("postsByAuthor(author: String!): [Post]"), "{}", api.schema);

    let kinds: Vec<(&str, &str)> =
        api.data_sources.iter().map(|d| (d.name.as_str(), d.kind.type_name())).collect();
    assert_eq!(
        kinds,
        [("Echo", "AWS_LAMBDA"), ("None", "NONE"), ("PostsTable", "AMAZON_DYNAMODB"), ("Users", "HTTP")]
    );
    match &api.data_source("Users").unwrap().kind {
        DataSourceKind::Http { endpoint, iam } => {
            assert_eq!(endpoint, "https://users.example.com");
            assert_eq!(
                iam.as_ref().map(|i| (i.region.as_str(), i.service.as_str())),
                Some(("us-east-1", "execute-api"))
            );
        }
        other => panic!("Users is {other:?}"),
    }
    match &api.data_source("Echo").unwrap().kind {
        DataSourceKind::Lambda { function_arn } => {
            assert!(
                function_arn.starts_with("arn:aws:lambda:us-east-1:123456789012:function:"),
                "{function_arn}"
            );
        }
        other => panic!("Echo is {other:?}"),
    }

    let fields: Vec<String> =
        api.resolvers.iter().map(|r| format!("{}.{}", r.type_name, r.field_name)).collect();
    assert_eq!(
        fields,
        [
            "Mutation.createPost",
            "Mutation.createPostPair",
            "Mutation.publishPost",
            "Mutation.updatePostIfVersion",
            "Query.direct",
            "Query.echo",
            "Query.getPost",
            "Query.greeting",
            "Query.hello",
            "Query.postsByAuthor",
            "Query.postsPage",
            "Query.user",
            "Subscription.onCreatePost"
        ]
    );
    let greeting = api.resolver("Query", "greeting").unwrap();
    assert_eq!(greeting.kind, ResolverKind::Pipeline);
    assert_eq!(greeting.data_source, None);
    let names: Vec<&str> =
        greeting.functions.iter().map(|id| api.function(id).unwrap().name.as_str()).collect();
    assert_eq!(names, ["greetingUpper", "greetingPunctuate"]);
    assert!(greeting.code.as_ref().unwrap().text.contains("ctx.prev.result"));
    let upper = api.functions.iter().find(|f| f.name == "greetingUpper").unwrap();
    assert_eq!(upper.data_source, "None");
    assert!(upper.code.as_ref().unwrap().text.contains("toUpperCase"));

    let hello = api.resolver("Query", "hello").unwrap();
    assert_eq!((hello.kind, hello.data_source.as_deref()), (ResolverKind::Unit, Some("None")));
    let runtime = hello.runtime.as_ref().unwrap();
    assert_eq!((runtime.name.as_str(), runtime.version.as_str()), ("APPSYNC_JS", "1.0.0"));
    assert!(hello.code.as_ref().unwrap().text.contains("ctx.env.GREETING"));

    let direct = api.resolver("Query", "direct").unwrap();
    assert_eq!(
        (direct.data_source.as_deref(), direct.runtime.is_none(), direct.code.is_none()),
        (Some("Echo"), true, true)
    );

    let subscription = api.resolver("Subscription", "onCreatePost").unwrap();
    assert!(subscription.code.as_ref().unwrap().text.contains("extensions.setSubscriptionFilter"));

    assert_eq!(api.tables.len(), 1);
    let table = &api.tables[0];
    assert_eq!(table.key_schema.len(), 1);
    assert_eq!((table.key_schema[0].attribute.as_str(), table.key_schema[0].key_type), ("id", KeyType::Hash));
    assert_eq!(table.attributes.len(), 3);
    let gsi = &table.global_indexes[0];
    assert_eq!(gsi.name, "byAuthor");
    let keys: Vec<(&str, KeyType)> =
        gsi.key_schema.iter().map(|k| (k.attribute.as_str(), k.key_type)).collect();
    assert_eq!(keys, [("author", KeyType::Hash), ("createdAt", KeyType::Range)]);
    assert_eq!(gsi.projection, "ALL");
    match &api.data_source("PostsTable").unwrap().kind {
        DataSourceKind::DynamoDb { table_name, region } => {
            assert_eq!(table_name, &table.name, "the data source names the table resource");
            assert_eq!(region.as_deref(), Some("us-east-1"));
        }
        other => panic!("PostsTable is {other:?}"),
    }
    assert!(api.unsupported.is_empty(), "{:?}", api.unsupported);
}

#[test]
fn cdk_out_of_the_fixture_app() {
    let api = ProjectReader::cdk_out(fixture("cdk-app/cdk.out")).read().unwrap();
    assert_fixture_api(&api);
    assert_eq!(api.name, "fixture-api");
    assert_eq!(
        api.tables[0].name, "Posts868B3EAD",
        "no TableName: the logical id stands in for the generated name"
    );
    let hello = api.resolver("Query", "hello").unwrap().code.as_ref().unwrap();
    assert!(!hello.inline && hello.path.contains("cdk.out/asset."), "{}", hello.path);
    // The stack and the API may be named.
    let named = ProjectReader::cdk_out(fixture("cdk-app/cdk.out"))
        .stack("FixtureStack")
        .api("ApiF70053CD")
        .read()
        .unwrap();
    assert_eq!(named, api);
}

#[test]
fn yaml_template_of_the_same_api() {
    let api = ProjectReader::template(fixture("cdk-app/template.yaml")).read().unwrap();
    assert_fixture_api(&api);
    assert_eq!(api.name, "fixture-api-dev", "!Sub with a parameter's default");
    assert_eq!(api.tables[0].name, "posts-dev-123456789012", "!Sub's list form with a pseudo parameter");
    let sub = api.resolver("Subscription", "onCreatePost").unwrap().code.as_ref().unwrap();
    assert!(sub.inline);
    // Another region is another AWS::Region.
    let api = ProjectReader::template(fixture("cdk-app/template.yaml")).region("eu-west-1").read().unwrap();
    match &api.data_source("Users").unwrap().kind {
        DataSourceKind::Http { iam: Some(IamSigning { region, .. }), .. } => assert_eq!(region, "eu-west-1"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn json_template_with_several_apis_and_unsupported_parts() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/project-minimal.json");
    let err = ProjectReader::template(&path).read().unwrap_err();
    assert!(err.is_project());
    assert!(err.to_string().contains("several GraphQL APIs (NotesApi, OtherApi)"), "{err}");

    let api = ProjectReader::template(&path).api("NotesApi").read().unwrap();
    assert_eq!(api.name, "notes-test-use1", "Fn::Join, Ref of a parameter, Fn::FindInMap with AWS::Region");
    assert_eq!(api.auth_modes(), [AuthMode::Iam, AuthMode::ApiKey, AuthMode::CognitoUserPools]);
    assert_eq!(api.environment.get("TABLE").map(String::as_str), Some("NotesTable"));
    assert_eq!(api.environment.get("STAGE").map(String::as_str), Some("test"));
    assert_eq!(api.environment.get("MODE").map(String::as_str), Some("debug"), "Fn::If over Conditions");
    assert_eq!(api.environment.get("PROD"), None, "Fn::If to AWS::NoValue drops the key");
    assert_eq!(api.tables.len(), 1, "a resource whose Condition is false is not created");
    match &api.data_source("local").unwrap().kind {
        DataSourceKind::Http { endpoint, iam: None } => {
            assert_eq!(endpoint, "http://localhost:8080/${literal}")
        }
        other => panic!("{other:?}"),
    }
    assert!(api.data_source("search").is_some(), "a data source given by Ref of the API belongs to it");
    let table = &api.tables[0];
    assert_eq!(table.local_indexes[0].projection, "INCLUDE");
    assert_eq!(table.local_indexes[0].non_key_attributes, ["text"]);
    let note = api.resolver("Query", "note").unwrap().code.as_ref().unwrap();
    assert!(note.inline && note.text.contains("GetItem"));

    let notes: Vec<String> = api.unsupported.iter().map(ToString::to_string).collect();
    let expect = [
        "Cache: the API cache",
        "NoteResolver (Query.note): resolver caching (CachingConfig)",
        "SearchSource: data source search is of type AMAZON_OPENSEARCH_SERVICE",
        "LegacyResolver (Query.legacy): VTL mapping templates",
        "SearchResolver (Query.search): uses data source search of type AMAZON_OPENSEARCH_SERVICE",
    ];
    for e in expect {
        assert!(notes.iter().any(|n| n.starts_with(e)), "no note starting {e:?} in {notes:#?}");
    }
    assert_eq!(notes.len(), expect.len(), "{notes:#?}");
    let unusable: Vec<&str> = api.unsupported.iter().filter_map(|u| u.field.as_deref()).collect();
    assert_eq!(unusable.len(), 2);
    assert!(unusable.contains(&"Query.legacy") && unusable.contains(&"Query.search"), "{unusable:?}");
}

#[test]
fn aws_sample_templates() {
    let unit = ProjectReader::template(fixture(
        "aws-appsync-resolver-samples/examples/cloudformation/todo-api-cfn/template.yaml",
    ))
    .read()
    .unwrap();
    assert_eq!(unit.name, "SimpleTodoAPI");
    assert_eq!(unit.default_auth, AuthMode::ApiKey);
    assert_eq!(unit.resolvers.len(), 6);
    assert!(
        unit.resolvers
            .iter()
            .all(|r| r.kind == ResolverKind::Unit && r.data_source.as_deref() == Some("table"))
    );
    assert_eq!(unit.tables.len(), 1);
    assert!(unit.unsupported.is_empty(), "{:?}", unit.unsupported);

    let pipeline = ProjectReader::template(fixture(
        "aws-appsync-resolver-samples/examples/cloudformation/todo-api-pipeline-cfn/template.yaml",
    ))
    .read()
    .unwrap();
    assert!(pipeline.resolvers.iter().all(|r| r.kind == ResolverKind::Pipeline), "{:?}", pipeline.resolvers);
    for r in &pipeline.resolvers {
        assert!(!r.functions.is_empty());
        for id in &r.functions {
            assert!(pipeline.function(id).and_then(|f| f.code.as_ref()).is_some(), "{id}");
        }
    }
}

#[test]
fn reading_errors_name_the_resource_and_property() {
    let base = "Resources:\n  Api:\n    Type: AWS::AppSync::GraphQLApi\n    Properties:\n      Name: a\n      AuthenticationType: API_KEY\n  Schema:\n    Type: AWS::AppSync::GraphQLSchema\n    Properties:\n      ApiId: !GetAtt Api.ApiId\n      Definition: 'type Query { a: String }'\n";
    let cases = [
        (
            "missing-ds",
            "  R:\n    Type: AWS::AppSync::Resolver\n    Properties:\n      ApiId: !GetAtt Api.ApiId\n      TypeName: Query\n      FieldName: a\n      DataSourceName: nope\n",
            "resource R, property DataSourceName: names data source \"nope\"",
        ),
        (
            "no-code",
            "  D:\n    Type: AWS::AppSync::DataSource\n    Properties:\n      ApiId: !GetAtt Api.ApiId\n      Name: d\n      Type: NONE\n  R:\n    Type: AWS::AppSync::Resolver\n    Properties:\n      ApiId: !GetAtt Api.ApiId\n      TypeName: Query\n      FieldName: a\n      DataSourceName: d\n      Runtime: { Name: APPSYNC_JS, RuntimeVersion: 1.0.0 }\n",
            "resource R, property Code: missing; an APPSYNC_JS runtime needs Code or CodeS3Location",
        ),
        (
            "bad-ref",
            "  D:\n    Type: AWS::AppSync::DataSource\n    Properties:\n      ApiId: !GetAtt Api.ApiId\n      Name: !Ref Nothing\n      Type: NONE\n",
            "resource D, property Name: Ref Nothing: no parameter or resource has that name",
        ),
        (
            "bad-auth",
            "  X:\n    Type: AWS::AppSync::DataSource\n    Properties:\n      ApiId: !GetAtt Api.ApiId\n      Name: x\n      Type: AWS_LAMBDA\n",
            "resource X, property LambdaConfig: missing; expected {LambdaFunctionArn}",
        ),
        (
            "s3-code",
            "  D:\n    Type: AWS::AppSync::DataSource\n    Properties:\n      ApiId: !GetAtt Api.ApiId\n      Name: d\n      Type: NONE\n  F:\n    Type: AWS::AppSync::FunctionConfiguration\n    Properties:\n      ApiId: !GetAtt Api.ApiId\n      Name: f\n      DataSourceName: d\n      Runtime: { Name: APPSYNC_JS, RuntimeVersion: 1.0.0 }\n      CodeS3Location: s3://bucket/code.js\n",
            "resource F, property CodeS3Location: s3://bucket/code.js is in S3",
        ),
        (
            "no-such-field",
            "  D:\n    Type: AWS::AppSync::DataSource\n    Properties:\n      ApiId: !GetAtt Api.ApiId\n      Name: d\n      Type: NONE\n  R:\n    Type: AWS::AppSync::Resolver\n    Properties:\n      ApiId: !GetAtt Api.ApiId\n      TypeName: Query\n      FieldName: b\n      DataSourceName: d\n",
            "resource R, property FieldName: Query.b is not a field of the API's schema",
        ),
        (
            "unknown-intrinsic",
            "  D:\n    Type: AWS::AppSync::DataSource\n    Properties:\n      ApiId: !GetAtt Api.ApiId\n      Name: !ImportValue shared-name\n      Type: NONE\n",
            "resource D, property Name: Fn::ImportValue cannot be evaluated locally",
        ),
    ];
    for (name, extra, expected) in cases {
        let path = temp_template(name, &format!("{base}{extra}"));
        let err = ProjectReader::template(&path).read().unwrap_err();
        assert!(err.is_project(), "{name}: {err}");
        assert!(err.to_string().contains(expected), "{name}: {err}");
    }
    let bad_schema = base.replace("type Query { a: String }", "type Query { a: Nope }");
    let err = ProjectReader::template(temp_template("bad-schema", &bad_schema)).read().unwrap_err();
    assert!(err.is_schema() && err.to_string().contains("Nope"), "{err}");
    let err = ProjectReader::template("/nonexistent/template.yaml").read().unwrap_err();
    assert!(err.is_project() && std::error::Error::source(&err).is_some(), "{err}");
    let err = ProjectReader::cdk_out("/nonexistent").read().unwrap_err();
    assert!(err.to_string().contains("has no manifest.json"), "{err}");
    let err = ProjectReader::cdk_out(fixture("cdk-app/cdk.out")).stack("Other").read().unwrap_err();
    assert!(err.to_string().contains("has no stack Other"), "{err}");
    let err = ProjectReader::template(fixture("cdk-app/template.yaml")).stack("x").read().unwrap_err();
    assert_eq!(err.field(), Some("stack"));
}

#[tokio::test]
async fn the_emulator_runs_a_projects_resolvers_and_says_what_it_cannot_run() {
    let api = ProjectReader::cdk_out(fixture("cdk-app/cdk.out")).read().unwrap();
    let emulator = Emulator::builder()
        .project(api)
        .api_key(ApiKey::new(support::API_KEY))
        .iam_credentials(Credentials::new(support::AKID, support::SECRET, None, None))
        .resolver("Query.echo", |ctx| async move { Ok(ctx.argument("message").cloned().unwrap_or_default()) })
        .build()
        .unwrap();
    assert_eq!(emulator.default_auth(), AuthMode::ApiKey, "the project's default auth mode");
    let server = support::start_emulator(&emulator).await;

    // A unit resolver over NONE, reading the API's environment variables.
    let body = server.api_key("{ hello(name: \"ann\") }", json!({})).await.json();
    assert_eq!(body, json!({"data": {"hello": "hello ann"}}));
    // The two-function pipeline, through IAM (the API's additional mode, where the schema opens it).
    let body = server.iam("{ greeting(name: \"bob\") }", json!({})).await.json();
    assert_eq!(body, json!({"data": {"greeting": "Hello, BOB!"}}));

    // A direct Lambda resolver without a local function says which flag to give.
    let body = server.api_key("{ direct(input: \"x\") }", json!({})).await.json();
    assert_eq!(body["data"], json!({"direct": null}));
    assert_eq!(body["errors"][0]["errorType"], appsync_local::project::NOT_CONFIGURED_ERROR_TYPE);
    assert!(body["errors"][0]["message"].as_str().unwrap().contains("--lambda Echo="), "{body}");
    // The DynamoDB data source runs on the project's table: put, get, a query of its GSI.
    let body = server
        .api_key("mutation { createPost(author: \"a\", title: \"t\") { id author title } }", json!({}))
        .await
        .json();
    let id = body["data"]["createPost"]["id"].as_str().unwrap_or_else(|| panic!("{body}")).to_owned();
    assert_eq!(body["data"]["createPost"]["title"], "t", "{body}");
    let body = server
        .api_key("query G($id: ID!) { getPost(id: $id) { id author } }", json!({"id": id}))
        .await
        .json();
    assert_eq!(body, json!({"data": {"getPost": {"id": id, "author": "a"}}}));
    let body = server.api_key("{ postsByAuthor(author: \"a\") { id } }", json!({})).await.json();
    assert_eq!(body, json!({"data": {"postsByAuthor": [{"id": id}]}}));

    // A resolver registered in Rust replaces the project's.
    let body = server.api_key("{ echo(message: \"hi\") }", json!({})).await.json();
    assert_eq!(body, json!({"data": {"echo": "hi"}}));
    let body = server.iam("{ echo(message: \"hi\") }", json!({})).await.json();
    assert_eq!(body["errors"][0]["errorType"], "Unauthorized");
}

#[tokio::test]
async fn unsupported_fields_answer_why_and_fields_without_resolvers_answer_null() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/project-minimal.json");
    let api = ProjectReader::template(&path).api("NotesApi").read().unwrap();
    let emulator = Emulator::builder()
        .project(api)
        .api_key(ApiKey::new(support::API_KEY))
        .iam_credentials(Credentials::new(support::AKID, support::SECRET, None, None))
        .build()
        .unwrap();
    let server = support::start_emulator(&emulator).await;
    let body = server.iam("{ search(q: \"x\") { id } legacy }", json!({})).await.json();
    assert_eq!(body["data"], json!({"search": null, "legacy": null}));
    let errors = body["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{body}");
    for error in errors {
        assert_eq!(error["errorType"], appsync_local::project::UNSUPPORTED_ERROR_TYPE);
    }
    let messages: Vec<&str> = errors.iter().map(|e| e["message"].as_str().unwrap()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("Query.legacy cannot run in appsync local: VTL mapping templates")),
        "{messages:?}"
    );
    assert!(messages.iter().any(|m| m.contains("AMAZON_OPENSEARCH_SERVICE")), "{messages:?}");
    // `addNote` has no resolver: null, as AppSync answers, and nothing stored.
    let body = server.iam("mutation { addNote(text: \"t\") { id } }", json!({})).await.json();
    assert_eq!(body, json!({"data": {"addNote": null}}));
}

#[test]
fn cdk_out_with_the_api_in_a_nested_stack() {
    let api = ProjectReader::cdk_out(fixture("cdk-app/cdk.out.nested")).read().unwrap();
    assert_eq!((api.name.as_str(), api.logical_id.as_str()), ("nested-api", "NestedApiEBC016D7"));
    assert!(api.template.ends_with(".nested.template.json"), "{}", api.template);
    assert_eq!(
        api.environment.get("GREETING").map(String::as_str),
        Some("hello from the parent"),
        "the nested stack's parameter, as the parent passes it"
    );
    let ping = api.resolver("Query", "ping").unwrap();
    assert!(ping.code.as_ref().unwrap().inline);
    // The data source is in a nested stack of the API's stack, which gets the API's id as a parameter.
    assert_eq!(api.data_sources.len(), 1);
    assert_eq!(api.data_sources[0].logical_id, "NoneF149F709");
    assert_eq!(ping.data_source.as_deref(), Some("None"));
}

#[test]
fn a_cdk_out_with_several_stacks_needs_one_named() {
    // The fixture's assembly with a second stack beside it (the same template under another id).
    let source = fixture("cdk-app/cdk.out");
    let dir = std::env::temp_dir().join(format!("appsync-project-{}-two-stacks", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(&source).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(source.join("manifest.json")).unwrap()).unwrap();
    let stack = manifest["artifacts"]["FixtureStack"].clone();
    manifest["artifacts"]["OtherStack"] = stack;
    std::fs::write(dir.join("manifest.json"), manifest.to_string()).unwrap();

    let err = ProjectReader::cdk_out(&dir).read().unwrap_err();
    assert!(
        err.to_string().contains("several stacks (FixtureStack, OtherStack): choose one with --stack"),
        "{err}"
    );
    let api = ProjectReader::cdk_out(&dir).stack("OtherStack").read().unwrap();
    assert_eq!(api.name, "fixture-api");
    assert_eq!(api.resolvers.len(), 13);
}

// The API's own limits (AWS::AppSync::GraphQLApi `QueryDepthLimit`, `ResolverCountLimit`) are read
// and served; 0 is AppSync's "default", out-of-range values are refused naming the property.
#[tokio::test]
async fn the_apis_query_depth_and_resolver_count_limits_are_served() {
    let template = |depth: &str, count: &str| {
        format!(
            "Resources:\n  Api:\n    Type: AWS::AppSync::GraphQLApi\n    Properties:\n      Name: a\n      AuthenticationType: API_KEY\n      QueryDepthLimit: {depth}\n      ResolverCountLimit: {count}\n  Schema:\n    Type: AWS::AppSync::GraphQLSchema\n    Properties:\n      ApiId: !GetAtt Api.ApiId\n      Definition: 'type Node {{ name: String child: Node }} type Query {{ root: Node }}'\n"
        )
    };
    let api = ProjectReader::template(temp_template("limits", &template("2", "'3'"))).read().unwrap();
    assert_eq!((api.query_depth_limit, api.resolver_count_limit), (Some(2), Some(3)));
    let defaults = ProjectReader::template(temp_template("limits-0", &template("0", "0"))).read().unwrap();
    assert_eq!((defaults.query_depth_limit, defaults.resolver_count_limit), (None, None));
    let err = ProjectReader::template(temp_template("limits-bad", &template("76", "1"))).read().unwrap_err();
    assert!(err.is_project() && err.to_string().contains("property QueryDepthLimit"), "{err}");

    let emulator = appsync_local::Emulator::builder()
        .project(api)
        .api_key(appsync_local::ApiKey::new("da2-limits"))
        .resolver("Query.root", |_| async { Ok(serde_json::json!({"name": "r", "child": {"name": "c"}})) })
        .build()
        .unwrap();
    let body = emulator
        .execute(
            "{ root { name child { name } } }",
            None,
            None,
            &appsync_local::Identity::trusted(appsync_local::AuthMode::ApiKey),
        )
        .await;
    // root is level 1, child 2, child's name 3: past the limit of 2.
    assert_eq!(body["data"], serde_json::json!({"root": {"name": "r", "child": {"name": null}}}), "{body}");
    assert_eq!(body["errors"][0]["errorType"], "QueryDepthLimitReached", "{body}");
}
