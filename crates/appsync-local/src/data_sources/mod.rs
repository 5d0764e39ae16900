//! Data sources that reach outside the emulator, for APPSYNC_JS resolvers and direct Lambda
//! resolvers: [`LambdaFunction`] (`AWS_LAMBDA`, a function served locally) and
//! [`HttpDataSource`] (`HTTP`, SigV4-signed when the data source says so) and
//! [`DynamoDbDataSource`] (`AMAZON_DYNAMODB`, on the embedded table engine or at a
//! [`DynamoDbEndpoint`]). All implement
//! [`appsync_js::DataSource`]; give them to
//! [`EmulatorBuilder::data_source`](crate::EmulatorBuilder::data_source) under the data source's
//! name.

mod dynamodb;
mod dynamodb_endpoint;
mod http;
mod lambda;

pub use dynamodb::DynamoDbDataSource;
pub use dynamodb_endpoint::{DynamoDbEndpoint, EndpointTable};
pub use http::{HTTP_REQUEST_ERROR_TYPE, HttpDataSource};
pub use lambda::{LAMBDA_UNHANDLED_ERROR_TYPE, LambdaFunction, RIE_INVOCATION_PATH};

/// The `type` of `ctx.error` when a data source's peer could not be reached or run (connection
/// refused, a timeout, a command that does not start): the emulator's own, as AppSync's
/// managed services have no such failure.
pub const UNREACHABLE_ERROR_TYPE: &str = "AppSyncLocal:DataSourceUnreachable";
