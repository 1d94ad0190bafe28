#!/usr/bin/python3
# sigv4_check.py - an HTTP server on 127.0.0.1 that checks the AWS
# Signature Version 4 of every request it gets, for tests/e2e/store_s3.sh.
#
# How it works: it parses the request's Authorization header, rebuilds the
# request from the headers the client says it signed, and has Debian's
# botocore (python3-botocore, the signer the AWS SDK for Python uses)
# compute the canonical request and the signature with SECRET. It answers
# 200 with an empty body when the signatures agree and the payload hash is
# UNSIGNED-PAYLOAD or the SHA-256 of the body; else 403 with an S3-style
# <Error> whose message holds the canonical request botocore expected (and
# 400 when there is no SigV4 Authorization header at all). Each verdict is
# also one line on stdout, "METHOD PATH CODE VERDICT", which store_s3.sh
# reads. It stores nothing: the S3 semantics are s3rver's job.
#
# Usage: /usr/bin/python3 sigv4_check.py PORT SECRET
# (Debian's python3; the python3 first on PATH may not see botocore.)
import hashlib
import re
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<day>\d{8})/(?P<region>[^/]+)/"
    r"(?P<service>[^/]+)/aws4_request,\s*SignedHeaders=(?P<signed>[^,]+),\s*"
    r"Signature=(?P<sig>[0-9a-f]{64})$"
)


def verdict(command, path, headers, body, secret):
    """(code, text) for one request: text's first line is the verdict."""
    auth = headers.get("Authorization", "")
    m = AUTH_RE.match(auth)
    if not m:
        return 400, "NO-SIGV4 " + auth
    stamp = headers.get("X-Amz-Date", "")
    if not stamp.startswith(m["day"]):
        return 403, "MISMATCH date: X-Amz-Date %r, credential day %s" % (stamp, m["day"])
    signed = {h: headers.get(h) for h in m["signed"].split(";")}
    if any(v is None for v in signed.values()):
        return 403, "MISMATCH a signed header is missing: " + m["signed"]
    req = AWSRequest(
        method=command, url="http://%s%s" % (headers.get("Host", ""), path), headers=signed, data=body
    )
    req.context["timestamp"] = stamp
    signer = S3SigV4Auth(Credentials(m["key"], secret), m["service"], m["region"])
    canonical = signer.canonical_request(req)
    want = signer.signature(signer.string_to_sign(req, canonical), req)
    sha = signed.get("x-amz-content-sha256")
    payload_ok = sha in (None, "UNSIGNED-PAYLOAD", hashlib.sha256(body).hexdigest())
    if want == m["sig"] and payload_ok:
        return 200, "MATCH"
    return 403, "MISMATCH payload_ok=%s\n--canonical request--\n%s" % (payload_ok, canonical)


class Handler(BaseHTTPRequestHandler):
    secret = ""

    def check(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        code, text = verdict(self.command, self.path, self.headers, body, self.secret)
        first = text.splitlines()[0] if text else ""
        print(self.command, self.path, code, first, flush=True)
        reply = b""
        if code != 200:
            msg = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            reply = ("<Error><Code>SignatureDoesNotMatch</Code><Message>%s</Message></Error>" % msg).encode()
        self.send_response(code)
        self.send_header("x-sigv4-check", first)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(reply)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = check

    def log_message(self, *args):
        pass  # the verdict lines above are the log


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: sigv4_check.py PORT SECRET")
    Handler.secret = sys.argv[2]
    HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()


if __name__ == "__main__":
    main()
