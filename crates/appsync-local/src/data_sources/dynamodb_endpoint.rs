//! A DynamoDB-compatible server (DynamoDB, DynamoDB Local, LocalStack, ScyllaDB Alternator,
//! moto's server mode) behind `AMAZON_DYNAMODB` data sources: each request goes there in
//! DynamoDB's JSON 1.0 API ([`appsync_dynamodb::wire`]), SigV4-signed for the service
//! `dynamodb`, through the HTTP data sources' client.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use appsync_dynamodb::TableDefinition;
use appsync_dynamodb::wire::{CONTENT_TYPE, Call};
use appsync_js::DataSourceError;
use appsync_sigv4::Credentials;
use serde_json::Value;

use super::UNREACHABLE_ERROR_TYPE;
use super::dynamodb::context_error;
use super::http::HttpDataSource;
use crate::error::Error;

/// The signing service of DynamoDB's API.
const SERVICE: &str = "dynamodb";

/// How long a table just created may take to become `ACTIVE` (DynamoDB takes seconds, local
/// servers none), and how often it is asked.
const ACTIVE_WITHIN: Duration = Duration::from_secs(60);
const ACTIVE_POLL: Duration = Duration::from_millis(250);

/// A DynamoDB-compatible endpoint for one signing region: where requests go, the endpoint's
/// names of the template's tables, and the tables to create there when absent.
///
/// ```
/// use appsync_local::Credentials;
/// use appsync_local::data_sources::{DynamoDbDataSource, DynamoDbEndpoint};
/// use std::sync::Arc;
///
/// let endpoint = DynamoDbEndpoint::new(
///     "http://127.0.0.1:8000",
///     "us-east-1",
///     Credentials::new("local", "local", None, None),
/// )?
/// .table_name("Posts", "dev-posts");
/// let posts = DynamoDbDataSource::endpoint(Arc::new(endpoint), "Posts");
/// # Ok::<(), appsync_local::Error>(())
/// ```
pub struct DynamoDbEndpoint {
    http: HttpDataSource,
    url: String,
    region: String,
    /// The template's table names and the endpoint's, where they differ.
    names: HashMap<String, String>,
    /// Tables created when absent, by the template's name.
    definitions: BTreeMap<String, TableDefinition>,
    /// Set once every table of `definitions` is known to exist (by the first request, or
    /// `create_tables`): later requests read it without a lock. A failed check leaves it unset,
    /// so the next request checks again.
    ready: tokio::sync::OnceCell<()>,
}

/// The signing credentials stay out of `Debug` (the HTTP data source's own leaves them out).
impl std::fmt::Debug for DynamoDbEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynamoDbEndpoint")
            .field("url", &self.url)
            .field("region", &self.region)
            .field("names", &self.names)
            .field("tables", &self.definitions.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

/// A table of an endpoint, as [`DynamoDbEndpoint::create_tables`] found or made it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct EndpointTable {
    /// The endpoint's URL.
    pub endpoint: String,
    /// The template's name of the table.
    pub table: String,
    /// The endpoint's name of it.
    pub endpoint_table: String,
    /// True when it was absent and has been created.
    pub created: bool,
}

impl DynamoDbEndpoint {
    /// Requests go to `url` (`http://127.0.0.1:8000`, `https://dynamodb.eu-west-1.amazonaws.com`),
    /// signed for `region` with `credentials` (local servers accept any).
    ///
    /// # Errors
    /// A configuration error (field `dynamodb_endpoint`) when `url` is not an http(s) URL.
    pub fn new(url: &str, region: impl Into<String>, credentials: Credentials) -> Result<Self, Error> {
        let region = region.into();
        let http = HttpDataSource::new(url)
            .map_err(|e| {
                Error::config("dynamodb_endpoint", format!("{url:?} is not an http:// or https:// URL"))
                    .with_source(e)
            })?
            .iam(credentials, region.clone(), SERVICE);
        let url = http.endpoint().as_str().to_owned();
        Ok(Self {
            http,
            url,
            region,
            names: HashMap::new(),
            definitions: BTreeMap::new(),
            ready: tokio::sync::OnceCell::new(),
        })
    }

    /// The endpoint's name of the template's table `template_name` (default: the same name).
    #[must_use]
    pub fn table_name(mut self, template_name: impl Into<String>, endpoint_name: impl Into<String>) -> Self {
        self.names.insert(template_name.into(), endpoint_name.into());
        self
    }

    /// A table to create at the endpoint (under its endpoint name) when it is absent, before
    /// the first request.
    #[must_use]
    pub fn table(mut self, definition: TableDefinition) -> Self {
        self.definitions.insert(definition.name.clone(), definition);
        self
    }

    /// The URL requests go to.
    #[must_use]
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The region requests are signed for.
    #[must_use]
    pub fn region(&self) -> &str {
        &self.region
    }

    /// The endpoint's name of the template's table `name`.
    #[must_use]
    pub fn endpoint_name(&self, name: &str) -> String {
        self.names.get(name).cloned().unwrap_or_else(|| name.to_owned())
    }

    /// Creates the tables given with [`table`](Self::table) that the endpoint lacks
    /// (`DescribeTable`, then `CreateTable` billed per request, then waits until it is
    /// `ACTIVE`), and says what it found. Requests do this themselves before the first one is
    /// sent; call it to know at start (each call checks again and says what it found).
    ///
    /// # Errors
    /// The failure a request would get: the endpoint could not be reached (the error names
    /// it), or it refused a call (`DynamoDB:...`).
    pub async fn create_tables(&self) -> Result<Vec<EndpointTable>, DataSourceError> {
        let tables = self.check_tables().await?;
        // Already set by a request meanwhile: the tables exist either way.
        let _ = self.ready.set(());
        Ok(tables)
    }

    async fn check_tables(&self) -> Result<Vec<EndpointTable>, DataSourceError> {
        let mut tables = Vec::with_capacity(self.definitions.len());
        for (name, definition) in &self.definitions {
            let endpoint_table = self.endpoint_name(name);
            let created = self.ensure(definition, &endpoint_table).await?;
            tables.push(EndpointTable {
                endpoint: self.url.clone(),
                table: name.clone(),
                endpoint_table,
                created,
            });
        }
        Ok(tables)
    }

    /// Makes sure the endpoint has `endpoint_table`: true when it had to be created.
    async fn ensure(
        &self,
        definition: &TableDefinition,
        endpoint_table: &str,
    ) -> Result<bool, DataSourceError> {
        match self.call(&Call::describe_table(endpoint_table)).await {
            Ok(_) => return Ok(false),
            Err(e) if e.error_type() == "DynamoDB:ResourceNotFoundException" => {}
            Err(e) => return Err(e),
        }
        match self.call(&Call::create_table(definition, endpoint_table)).await {
            Ok(_) => {}
            // Created meanwhile by someone else.
            Err(e) if e.error_type() == "DynamoDB:ResourceInUseException" => return Ok(false),
            Err(e) => return Err(e),
        }
        let deadline = Instant::now() + ACTIVE_WITHIN;
        loop {
            let described = self.call(&Call::describe_table(endpoint_table)).await?;
            if described.pointer("/Table/TableStatus").and_then(Value::as_str) == Some("ACTIVE") {
                return Ok(true);
            }
            if Instant::now() >= deadline {
                return Err(DataSourceError::new(
                    format!(
                        "The table {endpoint_table} created at {} is not ACTIVE after {} s",
                        self.url,
                        ACTIVE_WITHIN.as_secs()
                    ),
                    UNREACHABLE_ERROR_TYPE,
                ));
            }
            tokio::time::sleep(ACTIVE_POLL).await;
        }
    }

    /// Runs a resolver's request against the data source's table `table` (the template's name):
    /// what AppSync puts in `ctx.result`, or the `ctx.error` the embedded engine would give.
    pub(crate) async fn execute(&self, table: &str, request: &Value) -> Result<Value, DataSourceError> {
        self.ready.get_or_try_init(|| async { self.check_tables().await.map(drop) }).await?;
        let call =
            Call::new(request, table, |name| self.endpoint_name(name)).map_err(|e| context_error(&e))?;
        self.call(&call).await
    }

    /// Sends one call and reads its answer.
    async fn call(&self, call: &Call) -> Result<Value, DataSourceError> {
        let body = serde_json::to_vec(call.body()).map_err(|e| {
            DataSourceError::new(
                format!("The DynamoDB request could not be written: {e}"),
                UNREACHABLE_ERROR_TYPE,
            )
        })?;
        let request = http::Request::post(self.url.as_str())
            .header(http::header::CONTENT_TYPE, CONTENT_TYPE)
            .header("x-amz-target", call.target())
            .body(body)
            .map_err(|e| {
                DataSourceError::new(
                    format!("The DynamoDB request could not be made: {e}"),
                    UNREACHABLE_ERROR_TYPE,
                )
            })?;
        let (status, _headers, answer) = self.http.send(request).await?;
        call.answer(status, &answer).map_err(|e| {
            // An answer that is not DynamoDB's says which endpoint gave it.
            if e.is_service() && e.error_type() == "DynamoDB:InternalServerError" {
                DataSourceError::new(format!("{}: {e}", self.url), e.error_type())
            } else {
                context_error(&e)
            }
        })
    }
}
