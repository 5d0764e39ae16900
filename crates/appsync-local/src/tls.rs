//! HTTPS and WSS: the certificate the emulator serves, and the TLS acceptor built from it.
//!
//! Clients that only speak `wss://` (Amplify JS turns every real-time endpoint into `wss://`,
//! browsers on an HTTPS page, mobile SDKs) need the emulator to speak TLS. Either the user brings
//! a PEM certificate and key, or the emulator issues one for `localhost`, `127.0.0.1` and `::1`
//! from a local certificate authority. That authority is kept on disk, so it is trusted once
//! (`NODE_EXTRA_CA_CERTS`, `SSL_CERT_FILE`, a browser's store) and survives restarts; the leaf
//! certificate is issued anew at every start, so it never expires under a long-trusted CA.

use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer,
    KeyPair, KeyUsagePurpose,
};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::error::{Error, Kind};

/// The names the issued certificate is valid for: what a client on this machine dials.
const LOCAL_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];
/// The authority's subject, followed by its key's identifier so two authorities (two
/// directories, two machines) never share a name. Issuing a leaf from a stored key rebuilds the
/// authority's parameters, so this must never change: leaves would then name an issuer nobody
/// trusts.
const CA_NAME: &str = "appsync local development CA";
/// File (in the TLS directory) holding the authority's certificate: the one to trust.
pub(crate) const CA_CERT_FILE: &str = "ca.pem";
/// File holding the authority's private key followed by its certificate, readable by the
/// owner only. The certificate is kept beside the key so the two can never come from two
/// different emulators that started at the same moment.
const CA_KEY_FILE: &str = "ca-key.pem";

/// Where the TLS certificate comes from. Given to [`crate::EmulatorBuilder::tls`].
///
/// ```
/// use appsync_local::{Emulator, TlsOptions};
///
/// # tokio_test_block_on(async {
/// let dir = std::env::temp_dir().join(format!("appsync-local-doc-{}", std::process::id()));
/// let emulator = Emulator::builder().tls(TlsOptions::local_ca(&dir)).build()?;
/// let server = emulator.spawn("127.0.0.1:0").await?;
/// assert!(server.graphql_url().starts_with("https://127.0.0.1:"));
/// // Trust this file once, and every later start is trusted too.
/// assert_eq!(emulator.tls_ca_file(), Some(dir.join("ca.pem").as_path()));
/// # std::fs::remove_dir_all(&dir).ok();
/// # Ok::<(), appsync_local::Error>(())
/// # });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Runtime::new().unwrap().block_on(f)
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct TlsOptions {
    source: Source,
}

#[derive(Clone, Debug)]
enum Source {
    /// A leaf for [`LOCAL_NAMES`] issued by the authority kept in this directory (created on
    /// first use).
    LocalCa(PathBuf),
    /// A leaf issued by an authority that lives only as long as the process: for tests.
    Ephemeral,
    /// The user's own PEM files.
    Files { cert: PathBuf, key: PathBuf },
}

impl TlsOptions {
    /// A certificate for `localhost`, `127.0.0.1` and `::1`, issued at each start by a local
    /// certificate authority whose key and certificate are kept in `dir` (created on first use;
    /// the key readable by its owner only). Trust `dir/ca.pem` once.
    pub fn local_ca(dir: impl Into<PathBuf>) -> Self {
        Self { source: Source::LocalCa(dir.into()) }
    }

    /// Like [`TlsOptions::local_ca`], with an authority that is never written anywhere: each
    /// emulator gets its own. Read its certificate from [`crate::Emulator::tls_ca_pem`] to
    /// trust it, as tests do.
    pub fn ephemeral() -> Self {
        Self { source: Source::Ephemeral }
    }

    /// The certificate chain (leaf first) and private key in PEM files of your own.
    pub fn pem_files(cert: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        Self { source: Source::Files { cert: cert.into(), key: key.into() } }
    }

    /// The directory `appsync local --tls` keeps its authority in: `$XDG_DATA_HOME/appsync-local/tls`,
    /// else `$HOME/.local/share/appsync-local/tls`; `None` when neither variable is set.
    pub fn default_dir() -> Option<PathBuf> {
        let non_empty = |name| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        let base =
            non_empty("XDG_DATA_HOME").or_else(|| non_empty("HOME").map(|h| h.join(".local/share")))?;
        Some(base.join("appsync-local").join("tls"))
    }

    /// Loads or issues the certificate and builds the acceptor.
    pub(crate) fn load(&self) -> Result<Tls, Error> {
        match &self.source {
            Source::LocalCa(dir) => {
                let ca = LocalCa::open(dir)?;
                let (chain, key) = ca.issue_leaf()?;
                Tls::new(chain, key, Some(ca.cert_pem), Some(dir.join(CA_CERT_FILE)))
            }
            Source::Ephemeral => {
                let ca = LocalCa::generate()?;
                let (chain, key) = ca.issue_leaf()?;
                Tls::new(chain, key, Some(ca.cert_pem), None)
            }
            Source::Files { cert, key } => {
                let chain = CertificateDer::pem_file_iter(cert)
                    .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                    .map_err(|e| pem_error("tls_cert", cert, "a PEM certificate chain", e))?;
                if chain.is_empty() {
                    return Err(config_error(
                        "tls_cert",
                        format!("{} holds no PEM certificate (expected BEGIN CERTIFICATE)", cert.display()),
                    ));
                }
                let private = PrivateKeyDer::from_pem_file(key)
                    .map_err(|e| pem_error("tls_key", key, "a PEM private key", e))?;
                Tls::new(chain, private, None, None)
            }
        }
    }
}

fn pem_error(
    field: &'static str,
    path: &Path,
    expected: &str,
    e: impl std::error::Error + Send + Sync + 'static,
) -> Error {
    config_error(field, format!("could not read {} as {expected}", path.display())).with_source(e)
}

/// A loaded certificate: what the server hands each connection, and what a client trusts.
#[derive(Clone)]
pub(crate) struct Tls {
    pub(crate) acceptor: TlsAcceptor,
    /// The issuing authority's certificate, when the emulator issued the leaf itself.
    pub(crate) ca_pem: Option<String>,
    /// Where that certificate is kept, when it is kept.
    pub(crate) ca_file: Option<PathBuf>,
}

impl fmt::Debug for Tls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tls").field("ca_file", &self.ca_file).finish_non_exhaustive()
    }
}

impl Tls {
    fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        ca_pem: Option<String>,
        ca_file: Option<PathBuf>,
    ) -> Result<Self, Error> {
        // Explicit provider: the build may link more than one, and then rustls has no default.
        let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::new(Kind::Config, "no TLS protocol version available").with_source(e))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| {
                config_error("tls_key", "the private key does not fit the certificate").with_source(e)
            })?;
        // h2 first, as AppSync's own endpoint prefers it; WebSocket clients ask for http/1.1.
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Self { acceptor: TlsAcceptor::from(Arc::new(config)), ca_pem, ca_file })
    }
}

/// The local certificate authority: its key and certificate.
struct LocalCa {
    key: KeyPair,
    cert_pem: String,
}

impl LocalCa {
    fn params(key: &KeyPair) -> Result<CertificateParams, Error> {
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(cert_error)?;
        let id: String = params.key_identifier(key).iter().take(4).map(|b| format!("{b:02x}")).collect();
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, format!("{CA_NAME} {id}"));
        name.push(DnType::OrganizationName, "appsync-rs");
        params.distinguished_name = name;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        Ok(params)
    }

    fn generate() -> Result<Self, Error> {
        let key = KeyPair::generate().map_err(cert_error)?;
        let mut params = Self::params(&key)?;
        let now = time_now();
        params.not_before = now - Duration::from_secs(24 * 3600);
        params.not_after = now + Duration::from_secs(10 * 365 * 24 * 3600);
        let cert = params.self_signed(&key).map_err(cert_error)?;
        Ok(Self { key, cert_pem: cert.pem() })
    }

    /// Reads the authority kept in `dir`, or creates it there. Two emulators starting at once
    /// agree on one authority: the key file is created by a hard link, which fails if it exists.
    fn open(dir: &Path) -> Result<Self, Error> {
        let key_file = dir.join(CA_KEY_FILE);
        if !key_file.exists() {
            std::fs::create_dir_all(dir)
                .map_err(|e| io_error("could not create the TLS directory", dir, e))?;
            let fresh = Self::generate()?;
            let tmp = dir.join(format!(".{CA_KEY_FILE}.{}.{}", std::process::id(), uuid::Uuid::new_v4()));
            write_private(&tmp, format!("{}{}", fresh.key.serialize_pem(), fresh.cert_pem).as_bytes())?;
            let linked = std::fs::hard_link(&tmp, &key_file);
            let _ = std::fs::remove_file(&tmp);
            match linked {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_error("could not store the TLS authority", &key_file, e)),
            }
        }
        let text = std::fs::read_to_string(&key_file)
            .map_err(|e| io_error("could not read the TLS authority", &key_file, e))?;
        let key = KeyPair::from_pem(&text).map_err(|e| {
            config_error("tls", format!("{} holds no usable private key", key_file.display())).with_source(e)
        })?;
        let start = text.find("-----BEGIN CERTIFICATE-----").ok_or_else(|| {
            config_error("tls", format!("{} holds no certificate after its key", key_file.display()))
        })?;
        let ca = Self { key, cert_pem: text[start..].to_owned() };
        // The file to trust is derived from the key file, so it always matches the key in use.
        let cert_file = dir.join(CA_CERT_FILE);
        if std::fs::read_to_string(&cert_file).ok().as_deref() != Some(ca.cert_pem.as_str()) {
            let tmp = dir.join(format!(".{CA_CERT_FILE}.{}.{}", std::process::id(), uuid::Uuid::new_v4()));
            std::fs::write(&tmp, &ca.cert_pem).map_err(|e| io_error("could not write", &tmp, e))?;
            std::fs::rename(&tmp, &cert_file).map_err(|e| io_error("could not write", &cert_file, e))?;
        }
        Ok(ca)
    }

    /// A leaf for [`LOCAL_NAMES`], valid from a day ago for 397 days (the longest browsers
    /// accept), with its chain (leaf, then the authority) and key.
    fn issue_leaf(&self) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), Error> {
        let ca_params = Self::params(&self.key)?;
        let issuer = Issuer::from_params(&ca_params, &self.key);
        let key = KeyPair::generate().map_err(cert_error)?;
        let mut params =
            CertificateParams::new(LOCAL_NAMES.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
                .map_err(cert_error)?;
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, "appsync local");
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let now = time_now();
        params.not_before = now - Duration::from_secs(24 * 3600);
        params.not_after = now + Duration::from_secs(397 * 24 * 3600);
        let leaf = params.signed_by(&key, &issuer).map_err(cert_error)?;
        let ca_der = CertificateDer::from_pem_slice(self.cert_pem.as_bytes()).map_err(|e| {
            config_error("tls", "the stored TLS authority certificate is not PEM").with_source(e)
        })?;
        let chain = vec![leaf.der().clone(), ca_der];
        let key = PrivateKeyDer::Pkcs8(key.serialize_der().into());
        Ok((chain, key))
    }
}

fn time_now() -> ::time::OffsetDateTime {
    ::time::OffsetDateTime::now_utc()
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| io_error("could not create", path, e))?;
    file.write_all(bytes).and_then(|()| file.sync_all()).map_err(|e| io_error("could not write", path, e))
}

/// A configuration error about the setting `field` (`tls_cert`, `tls_key`, `tls`).
fn config_error(field: &'static str, message: impl fmt::Display) -> Error {
    Error::config(field, format!("{field}: {message}"))
}

fn cert_error(e: rcgen::Error) -> Error {
    Error::new(Kind::Config, "could not issue the TLS certificate").with_source(e)
}

fn io_error(what: &str, path: &Path, e: std::io::Error) -> Error {
    Error::new(Kind::Io, format!("{what} {}", path.display())).with_source(e)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio_rustls::TlsConnector;
    use tokio_rustls::rustls::pki_types::ServerName;
    use tokio_rustls::rustls::{ClientConfig, RootCertStore};

    use super::*;

    /// A client that trusts only `ca_pem`, as a user who trusted the emulator's authority.
    fn client_trusting(ca_pem: &str) -> TlsConnector {
        let mut roots = RootCertStore::empty();
        roots.add(CertificateDer::from_pem_slice(ca_pem.as_bytes()).unwrap()).unwrap();
        let provider = Arc::new(tokio_rustls::rustls::crypto::aws_lc_rs::default_provider());
        let mut config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        TlsConnector::from(Arc::new(config))
    }

    /// Serves one TLS connection on loopback that echoes one line; returns what `name` got back
    /// through a client trusting `ca_pem`.
    async fn round_trip(tls: &Tls, ca_pem: &str, name: &str) -> Result<Vec<u8>, std::io::Error> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let acceptor = tls.acceptor.clone();
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await?;
            let mut stream = acceptor.accept(tcp).await?;
            let mut buf = [0u8; 5];
            stream.read_exact(&mut buf).await?;
            stream.write_all(&buf).await?;
            stream.shutdown().await?;
            Ok::<_, std::io::Error>(())
        });
        let tcp = tokio::net::TcpStream::connect(addr).await?;
        let server_name = ServerName::try_from(name.to_owned()).unwrap();
        let mut stream = client_trusting(ca_pem).connect(server_name, tcp).await?;
        stream.write_all(b"hello").await?;
        let mut back = Vec::new();
        stream.read_to_end(&mut back).await?;
        let _ = server.await;
        Ok(back)
    }

    #[tokio::test]
    async fn issued_certificate_is_trusted_for_every_local_name() {
        let tls = TlsOptions::ephemeral().load().unwrap();
        let ca = tls.ca_pem.clone().unwrap();
        for name in LOCAL_NAMES {
            assert_eq!(round_trip(&tls, &ca, name).await.unwrap(), b"hello", "{name}");
        }
    }

    #[tokio::test]
    async fn another_authority_is_refused() {
        let tls = TlsOptions::ephemeral().load().unwrap();
        let other = TlsOptions::ephemeral().load().unwrap();
        let err = round_trip(&tls, other.ca_pem.as_deref().unwrap(), "localhost").await.unwrap_err();
        assert!(err.to_string().contains("UnknownIssuer"), "{err}");
    }

    #[tokio::test]
    async fn a_name_outside_the_certificate_is_refused() {
        let tls = TlsOptions::ephemeral().load().unwrap();
        let ca = tls.ca_pem.clone().unwrap();
        let err = round_trip(&tls, &ca, "example.com").await.unwrap_err();
        assert!(err.to_string().contains("not valid for name \"example.com\""), "{err}");
    }

    #[test]
    fn the_authority_on_disk_is_reused_and_private() {
        let dir = std::env::temp_dir().join(format!("appsync-local-tls-{}", uuid::Uuid::new_v4()));
        let first = TlsOptions::local_ca(&dir).load().unwrap();
        let second = TlsOptions::local_ca(&dir).load().unwrap();
        assert_eq!(first.ca_pem, second.ca_pem, "a restart keeps the authority");
        assert_eq!(first.ca_file.as_deref(), Some(dir.join(CA_CERT_FILE).as_path()));
        let on_disk = std::fs::read_to_string(dir.join(CA_CERT_FILE)).unwrap();
        assert_eq!(Some(on_disk), first.ca_pem, "the file to trust is the authority in use");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.join(CA_KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "the key is readable by its owner only: {mode:o}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unusable_pem_files_name_the_setting() {
        let dir = std::env::temp_dir().join(format!("appsync-local-tls-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        std::fs::write(&cert, "not a certificate").unwrap();
        std::fs::write(&key, "not a key").unwrap();
        let err = TlsOptions::pem_files(&cert, &key).load().unwrap_err();
        assert!(err.is_config() && err.to_string().starts_with("tls_cert:"), "{err}");
        let issued = TlsOptions::ephemeral().load().unwrap();
        std::fs::write(&cert, issued.ca_pem.unwrap()).unwrap();
        let err = TlsOptions::pem_files(&cert, &key).load().unwrap_err();
        assert!(err.is_config() && err.to_string().starts_with("tls_key:"), "{err}");
        let missing = TlsOptions::pem_files(dir.join("absent.pem"), &key).load().unwrap_err();
        assert!(missing.to_string().contains("absent.pem"), "{missing}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
