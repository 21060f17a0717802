"""Signs a Bedrock Runtime request with botocore's own SigV4 signer, for the fake's cross-check.

Usage: sigv4_botocore.py URL REGION ACCESS_KEY_ID SECRET_ACCESS_KEY TOKEN BODY_FILE
(TOKEN "-" for none). Prints the headers to send (JSON object): the ones given to botocore
(content-type) plus what `SigV4Auth.add_auth` added (X-Amz-Date, X-Amz-Security-Token,
Authorization). botocore computes `host` from the URL and encodes the path the way it does for
every service but S3; `tests/bedrock.rs` sends these headers to the fake, which must accept them.
Exits with status 3 when botocore is not installed, so the Rust test can skip.
"""

import json
import sys

try:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
except ImportError:
    print("botocore is not installed", file=sys.stderr)
    sys.exit(3)


def main() -> None:
    url, region, key_id, secret, token, body_file = sys.argv[1:7]
    with open(body_file, "rb") as f:
        body = f.read()
    credentials = Credentials(key_id, secret, None if token == "-" else token)
    request = AWSRequest(
        method="POST",
        url=url,
        data=body,
        headers={"Content-Type": "application/json"},
    )
    SigV4Auth(credentials, "bedrock", region).add_auth(request)
    print(json.dumps(dict(request.headers.items())))


if __name__ == "__main__":
    main()
