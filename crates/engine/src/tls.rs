//! TLS for the HTTP clients, with the system's certificate store read at the first TLS handshake
//! instead of when a client is built.
//!
//! reqwest's own rustls set-up builds `rustls_platform_verifier::Verifier`, which on Linux reads
//! and parses every certificate in the system store at once (one `quarry extract` to a loopback
//! server cost 10.8 ms of CPU with it, 5.5 ms without, on 2026-12-07): a cost
//! paid by every `quarry extract` to a local `http://` server, every loop of calls timed from its
//! first request, and the desktop app's first run, though none of them makes a TLS connection.
//! The verifier below is that same platform verifier, made on first use.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

/// A rustls configuration as reqwest would make it (its crypto provider, TLS 1.2 and 1.3, ALPN
/// for HTTP/2 and HTTP/1.1), verifying servers with the platform verifier, made lazily.
pub(crate) fn client_config() -> Result<rustls::ClientConfig, String> {
    let provider = CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()));
    let mut config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS set-up: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(LazyPlatformVerifier {
            provider,
            made: OnceLock::new(),
        }))
        .with_no_client_auth();
    // reqwest sets ALPN itself only for the configurations it builds; without these, an HTTP/2
    // server would be spoken to in HTTP/1.1 only.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

#[derive(Debug)]
struct LazyPlatformVerifier {
    provider: Arc<CryptoProvider>,
    /// The platform verifier, or why it could not be made (no certificates found): kept, so a
    /// second handshake fails the same way without reading the store again.
    made: OnceLock<Result<rustls_platform_verifier::Verifier, rustls::Error>>,
}

impl LazyPlatformVerifier {
    fn verifier(&self) -> Result<&rustls_platform_verifier::Verifier, rustls::Error> {
        self.made
            .get_or_init(|| rustls_platform_verifier::Verifier::new(self.provider.clone()))
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl ServerCertVerifier for LazyPlatformVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.verifier()?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    // The signature checks and the schemes offered depend only on the crypto provider (the
    // platform verifier answers them the same way), so the handshake's first message needs no
    // certificate store.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
