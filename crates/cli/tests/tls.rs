//! HTTPS through Quarry's own TLS configuration (the certificate store is read at the first
//! handshake, not when the client is built): a server whose certificate chains to a trusted
//! authority is reached, and one that does not is refused with the certificate's fault named.
//! The fake provider sits behind a TLS front made here; `SSL_CERT_FILE` points the platform
//! verifier at this test's authority, as it would at a company's own.

use std::sync::Arc;

use assert_cmd::Command;
use quarry_fake_provider::{FakeServer, Reply};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types::PrivateKeyDer};

const PERSON_OK: &str = r#"{"name": "Ada Lovelace", "age": 36, "email": null, "phone": null, "occupation": "mathematician", "address": null}"#;

/// An authority (its PEM) and a TLS front on 127.0.0.1 for `backend`, serving a certificate for
/// 127.0.0.1 signed by that authority.
async fn tls_front(backend: std::net::SocketAddr) -> (String, std::net::SocketAddr) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server_cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&server_key, &ca)
        .unwrap();

    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![server_cert.der().clone()],
            PrivateKeyDer::try_from(server_key.serialize_der()).unwrap(),
        )
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A refused handshake (the client did not trust us) just ends the connection.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                if let Ok(mut plain) = TcpStream::connect(backend).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                }
            });
        }
    });
    (ca.pem(), addr)
}

fn extract(base_url: &str) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("quarry"));
    cmd.env("QUARRY_TEST_KEY", "sk-tls-test-0123456789")
        .env_remove("SSL_CERT_DIR")
        .args([
            "extract",
            "--provider",
            "openai/gpt-4o-mini",
            "--api-key-env",
            "QUARRY_TEST_KEY",
            "--base-url",
            base_url,
            "--schema",
            "person",
            "--max-retries",
            "1",
            "--no-save",
            "--compact",
        ]);
    cmd
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_is_verified_against_the_certificate_store_read_at_the_handshake() {
    let server = FakeServer::start(vec![Reply::tool_call("Person", PERSON_OK)])
        .await
        .unwrap();
    let (ca_pem, front) = tls_front(server.addr()).await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, ca_pem).unwrap();
    let url = format!("https://127.0.0.1:{}/v1", front.port());

    // Trusted: the answer comes through TLS.
    let out = extract(&url)
        .env("SSL_CERT_FILE", &ca_file)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(value["name"], "Ada Lovelace");
    assert_eq!(server.requests().len(), 1);

    // Not trusted (an empty store would fail differently; this one holds another authority):
    // refused before anything is sent, and the message says it is the certificate.
    let other = rcgen::generate_simple_self_signed(vec!["example.org".to_string()]).unwrap();
    let other_file = dir.path().join("other.pem");
    std::fs::write(&other_file, other.cert.pem()).unwrap();
    let out = extract(&url)
        .env("SSL_CERT_FILE", &other_file)
        .assert()
        .failure()
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.to_lowercase().contains("certificate"),
        "the failure names the certificate: {stderr}"
    );
    assert!(
        stderr.contains("SSL_CERT_FILE"),
        "and says how to trust a private authority: {stderr}"
    );
    assert_eq!(server.requests().len(), 1, "nothing reached the server");
}
