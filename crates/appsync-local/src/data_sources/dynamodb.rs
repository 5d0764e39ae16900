//! `AMAZON_DYNAMODB` data sources, with two backends: the embedded table engine
//! (`appsync_dynamodb`), or a DynamoDB-compatible endpoint ([`DynamoDbEndpoint`]). Either way
//! the request handler's `{operation, key, ...}` runs against the data source's table as
//! AppSync's DynamoDB data source runs it (guide: "AWS AppSync JavaScript resolver function
//! reference for Amazon DynamoDB"), and the response handler sees the same `ctx.result` and
//! `ctx.error`.

use std::sync::Arc;

use appsync_dynamodb::Database;

use super::DynamoDbEndpoint;
use appsync_js::{Context, DataSource, DataSourceError};
use async_trait::async_trait;
use serde_json::Value;

/// The `type` of `ctx.error` when the engine's blocking task could not run (the runtime is
/// shutting down): the emulator's own.
const ENGINE_ERROR_TYPE: &str = "AppSyncLocal:InternalFailure";

/// An `AMAZON_DYNAMODB` data source: requests run on an embedded `database`, or at a
/// DynamoDB-compatible endpoint, against `table` (the data source's
/// `DynamoDBConfig.TableName`); batch and transaction requests name their tables
/// themselves. A failure reaches the response handler as `ctx.error` with DynamoDB's type
/// (`DynamoDB:ConditionalCheckFailedException`...) and message, and the data AppSync gives
/// with it as `ctx.result`: a failed condition's current item, a cancelled transaction's
/// `{keys: null, cancellationReasons}`.
///
/// ```
/// use appsync_dynamodb::{AttributeDefinition, Database, KeyElement, KeyType, TableDefinition};
/// use appsync_local::data_sources::DynamoDbDataSource;
/// use std::sync::Arc;
///
/// let db = Database::builder()
///     .table(TableDefinition::new(
///         "Posts",
///         vec![KeyElement::new("id", KeyType::Hash)],
///         vec![AttributeDefinition::new("id", "S")],
///     ))
///     .build()?;
/// let posts = DynamoDbDataSource::new(Arc::new(db), "Posts");
/// # Ok::<(), appsync_dynamodb::Error>(())
/// ```
#[derive(Clone)]
pub struct DynamoDbDataSource {
    backend: Backend,
    table: String,
}

/// Where the requests run.
#[derive(Clone)]
enum Backend {
    Embedded(Arc<Database>),
    Endpoint(Arc<DynamoDbEndpoint>),
}

impl DynamoDbDataSource {
    /// The data source of `table` on the embedded `database`.
    #[must_use]
    pub fn new(database: Arc<Database>, table: impl Into<String>) -> Self {
        Self { backend: Backend::Embedded(database), table: table.into() }
    }

    /// The data source of `table` (the template's name) at a DynamoDB-compatible `endpoint`.
    #[must_use]
    pub fn endpoint(endpoint: Arc<DynamoDbEndpoint>, table: impl Into<String>) -> Self {
        Self { backend: Backend::Endpoint(endpoint), table: table.into() }
    }

    /// The table its single-item, query and scan requests go to.
    #[must_use]
    pub fn table(&self) -> &str {
        &self.table
    }
}

impl std::fmt::Debug for DynamoDbDataSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("DynamoDbDataSource");
        d.field("table", &self.table);
        if let Backend::Endpoint(endpoint) = &self.backend {
            d.field("endpoint", &endpoint.url());
        }
        d.finish_non_exhaustive()
    }
}

/// An engine failure as the response handler sees it.
pub(crate) fn context_error(error: &appsync_dynamodb::Error) -> DataSourceError {
    let failure = DataSourceError::new(error.to_string(), error.error_type());
    match error.result() {
        Some(data) => failure.data(data),
        None => failure,
    }
}

#[async_trait]
impl DataSource for DynamoDbDataSource {
    async fn invoke(&self, request: Value, _ctx: &Context) -> Result<Value, DataSourceError> {
        let database = match &self.backend {
            Backend::Embedded(database) => Arc::clone(database),
            Backend::Endpoint(endpoint) => return endpoint.execute(&self.table, &request).await,
        };
        let table = self.table.clone();
        // The engine syncs its data file before a write returns: off the async workers.
        let answer =
            tokio::task::spawn_blocking(move || database.execute(&table, &request)).await.map_err(|e| {
                DataSourceError::new(format!("the table engine's task failed: {e}"), ENGINE_ERROR_TYPE)
            })?;
        answer.map_err(|e| context_error(&e))
    }
}
