//! Channel namespaces: which namespaces exist, which auth modes may publish and subscribe in
//! each, and their handlers.

use std::fmt;
use std::sync::Arc;

use super::channel::check_segment;
use super::handler::NamespaceHandler;
use super::integration::HandlerConfig;
use super::js_handler::{Configuration, ConfiguredHandler};
use crate::auth::AuthMode;
use crate::error::Error;

/// A channel namespace, as configured on an AppSync Event API: channels whose first segment is
/// its name may be used, with the auth modes it allows.
///
/// Without any, the emulator has one namespace, `default`, open to every auth mode the API has.
///
/// ```
/// use appsync_local::events::ChannelNamespace;
/// use appsync_local::{ApiKey, AuthMode, Credentials, Emulator};
///
/// let emulator = Emulator::builder()
///     .api_key(ApiKey::new("da2-local"))
///     .iam_credentials(Credentials::new("AKIDLOCAL", "local-secret", None, None))
///     .default_auth(AuthMode::ApiKey)
///     // Anyone with the key may listen; only IAM callers may publish.
///     .channel_namespace(ChannelNamespace::new("default").publish_auth([AuthMode::Iam]))
///     .channel_namespace(ChannelNamespace::new("chat"))
///     .build()?;
/// # drop(emulator);
///
/// // A mode the API does not have is refused by `build`, naming the setting.
/// let err = Emulator::builder()
///     .api_key(ApiKey::new("da2-local"))
///     .default_auth(AuthMode::ApiKey)
///     .channel_namespace(ChannelNamespace::new("default").subscribe_auth([AuthMode::Oidc]))
///     .build()
///     .unwrap_err();
/// assert_eq!(err.field(), Some("channel_namespace"));
/// # Ok::<(), appsync_local::Error>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct ChannelNamespace {
    name: String,
    publish_auth: Option<Vec<AuthMode>>,
    subscribe_auth: Option<Vec<AuthMode>>,
    handler: Option<Arc<dyn NamespaceHandler>>,
    code: Option<Arc<str>>,
    on_publish: Option<HandlerConfig>,
    on_subscribe: Option<HandlerConfig>,
}

impl ChannelNamespace {
    /// The namespace `name` (a channel segment: 1 to 50 of `[A-Za-z0-9-]`, no `-` at either
    /// end), open to the API's auth modes.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            publish_auth: None,
            subscribe_auth: None,
            handler: None,
            code: None,
            on_publish: None,
            on_subscribe: None,
        }
    }

    /// The auth modes that may publish (default: the API's).
    pub fn publish_auth(mut self, modes: impl IntoIterator<Item = AuthMode>) -> Self {
        self.publish_auth = Some(modes.into_iter().collect());
        self
    }

    /// The auth modes that may subscribe (default: the API's).
    pub fn subscribe_auth(mut self, modes: impl IntoIterator<Item = AuthMode>) -> Self {
        self.subscribe_auth = Some(modes.into_iter().collect());
        self
    }

    /// Runs `handler` on every publish and subscribe in this namespace (AppSync's `onPublish`
    /// and `onSubscribe`).
    pub fn handler(mut self, handler: impl NamespaceHandler) -> Self {
        self.handler = Some(Arc::new(handler));
        self
    }

    /// Runs the APPSYNC_JS module `code` on every publish and subscribe in this namespace: its
    /// exported `onPublish(ctx)` and `onSubscribe(ctx)` (AppSync's `CodeHandlers`), on the
    /// emulator's JavaScript engine with the resolvers' limits. A handler the module does not
    /// export keeps AppSync's default. [`build`](crate::EmulatorBuilder::build) refuses code that
    /// does not parse or exports neither (without an [`on_publish`](Self::on_publish) or
    /// [`on_subscribe`](Self::on_subscribe) integration), and a namespace given both code (or
    /// integrations) and a [`handler`](Self::handler).
    ///
    /// ```
    /// use appsync_local::events::ChannelNamespace;
    /// use appsync_local::{ApiKey, AuthMode, Emulator};
    ///
    /// let emulator = Emulator::builder()
    ///     .api_key(ApiKey::new("da2-local"))
    ///     .default_auth(AuthMode::ApiKey)
    ///     .channel_namespace(ChannelNamespace::new("default").code(
    ///         "export function onPublish(ctx) {
    ///              return ctx.events.filter((e) => e.payload.text);
    ///          }
    ///          export function onSubscribe(ctx) {
    ///              if (ctx.info.channel.segments[1] === 'private') { util.unauthorized(); }
    ///          }",
    ///     ))
    ///     .build()?;
    /// # drop(emulator);
    /// # Ok::<(), appsync_local::Error>(())
    /// ```
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(Arc::from(code.into()));
        self
    }

    /// `onPublish`'s data source integration (CloudFormation's `HandlerConfigs.OnPublish`):
    /// with [`HandlerConfig::code`], the [`code`](Self::code) exports `onPublish` as
    /// `{ request(ctx), response(ctx) }` around a call to the data source; with
    /// [`HandlerConfig::direct`], the Lambda data source is the handler.
    /// [`build`](crate::EmulatorBuilder::build) refuses a data source that does not exist.
    ///
    /// ```
    /// use appsync_local::data_sources::LambdaFunction;
    /// use appsync_local::events::{ChannelNamespace, HandlerConfig};
    /// use appsync_local::{ApiKey, AuthMode, Emulator};
    ///
    /// let emulator = Emulator::builder()
    ///     .api_key(ApiKey::new("da2-local"))
    ///     .default_auth(AuthMode::ApiKey)
    ///     .data_source("moderate", LambdaFunction::url("http://127.0.0.1:9000")?)
    ///     .channel_namespace(
    ///         ChannelNamespace::new("default")
    ///             .on_publish(HandlerConfig::code("moderate"))
    ///             .code(
    ///                 "export const onPublish = {
    ///                      request(ctx) { return { operation: 'Invoke', payload: ctx.events }; },
    ///                      response(ctx) { return ctx.result; },
    ///                  };",
    ///             ),
    ///     )
    ///     .build()?;
    /// # drop(emulator);
    /// # Ok::<(), appsync_local::Error>(())
    /// ```
    pub fn on_publish(mut self, config: HandlerConfig) -> Self {
        self.on_publish = Some(config);
        self
    }

    /// `onSubscribe`'s data source integration (`HandlerConfigs.OnSubscribe`), as
    /// [`on_publish`](Self::on_publish).
    pub fn on_subscribe(mut self, config: HandlerConfig) -> Self {
        self.on_subscribe = Some(config);
        self
    }

    /// The namespace's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the namespace has APPSYNC_JS code (its handlers then need the engine).
    pub(crate) fn has_code(&self) -> bool {
        self.code.is_some()
    }
}

impl fmt::Debug for ChannelNamespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChannelNamespace")
            .field("name", &self.name)
            .field("publish_auth", &self.publish_auth)
            .field("subscribe_auth", &self.subscribe_auth)
            .field("handler", &self.handler.is_some())
            .field("code", &self.code.is_some())
            .field("on_publish", &self.on_publish)
            .field("on_subscribe", &self.on_subscribe)
            .finish()
    }
}

/// A namespace as checked by `build`: its modes resolved.
pub(crate) struct Namespace {
    pub(crate) name: String,
    pub(crate) publish: Vec<AuthMode>,
    pub(crate) subscribe: Vec<AuthMode>,
    pub(crate) handler: Option<Arc<dyn NamespaceHandler>>,
}

/// The API's namespaces.
pub(crate) struct Namespaces(Vec<Namespace>);

impl fmt::Debug for Namespaces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter().map(|n| &n.name)).finish()
    }
}

impl Namespaces {
    /// Checks `configured` against the API's auth modes (`enabled`); none configured gives
    /// `default` with every mode.
    /// Code handlers run on `engine` (`None` only when no namespace has code); integrations
    /// call `sources`, whose AppSync types are in `kinds` where known.
    pub(crate) fn resolve(
        configured: Vec<ChannelNamespace>,
        enabled: &[AuthMode],
        engine: Option<&appsync_js::Engine>,
        sources: &appsync_js::DataSources,
        kinds: &std::collections::HashMap<String, &'static str>,
    ) -> Result<Self, Error> {
        let configured =
            if configured.is_empty() { vec![ChannelNamespace::new("default")] } else { configured };
        let mut out: Vec<Namespace> = Vec::with_capacity(configured.len());
        for ns in configured {
            check_segment(&ns.name, &ns.name).map_err(|why| {
                Error::config("channel_namespace", format!("invalid channel namespace name: {why}"))
            })?;
            if out.iter().any(|n| n.name == ns.name) {
                return Err(Error::config(
                    "channel_namespace",
                    format!("channel namespace {:?} is configured twice", ns.name),
                ));
            }
            let resolve = |what: &str, modes: Option<Vec<AuthMode>>| -> Result<Vec<AuthMode>, Error> {
                let modes = modes.unwrap_or_else(|| enabled.to_vec());
                if modes.is_empty() {
                    return Err(Error::config(
                        "channel_namespace",
                        format!("channel namespace {:?}: {what} needs at least one auth mode", ns.name),
                    ));
                }
                if let Some(missing) = modes.iter().find(|m| !enabled.contains(m)) {
                    return Err(Error::config(
                        "channel_namespace",
                        format!(
                            "channel namespace {:?}: {what} allows {}, which the API has no credentials for",
                            ns.name,
                            missing.as_appsync_str()
                        ),
                    ));
                }
                Ok(modes)
            };
            let publish = resolve("publish_auth", ns.publish_auth.clone())?;
            let subscribe = resolve("subscribe_auth", ns.subscribe_auth.clone())?;
            let configured = ns.code.is_some() || ns.on_publish.is_some() || ns.on_subscribe.is_some();
            let handler = match ns.handler {
                Some(_) if configured => {
                    return Err(Error::config(
                        "channel_namespace",
                        format!(
                            "channel namespace {:?} has both a handler and code or integrations: give one",
                            ns.name
                        ),
                    ));
                }
                Some(handler) => Some(handler),
                None if configured => {
                    let handler = ConfiguredHandler::new(Configuration {
                        name: &ns.name,
                        engine,
                        code: ns.code,
                        on_publish: ns.on_publish.as_ref(),
                        on_subscribe: ns.on_subscribe.as_ref(),
                        sources,
                        kinds,
                    })?;
                    Some(Arc::new(handler) as Arc<dyn NamespaceHandler>)
                }
                None => None,
            };
            out.push(Namespace { name: ns.name, publish, subscribe, handler });
        }
        Ok(Self(out))
    }

    /// The namespace named `name` (case-sensitive).
    pub(crate) fn get(&self, name: &str) -> Option<&Namespace> {
        self.0.iter().find(|n| n.name == name)
    }

    /// The names, in configuration order.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|n| n.name.as_str())
    }
}
