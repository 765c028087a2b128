#!/usr/bin/python3
"""The ACME floor, measured with an independent client: Debian's python3-acme (certbot's library).

N orders of one fresh name each, one after the other, as tight as the protocol allows: newOrder,
the authorization, the HTTP-01 answer, polling every --poll-ms, finalize with a prepared CSR,
polling, download. Account registration and key/CSR generation are outside the timed part.

  --http-port P   serve the HTTP-01 key authorizations ourselves on 127.0.0.1:P (the port Pebble's
                  VA connects to): real validation;
  without it      Pebble must run with PEBBLE_VA_ALWAYS_VALID=1 (the pure protocol floor; the one
                  place the benchmarks use it).

Prints one JSON line: {"orders": N, "ms_per_order": mean, "min_ms", "median_ms", "max_ms"}.
  /usr/bin/python3 bench/floor_acme.py --directory https://127.0.0.1:14000/dir --ca pebble-ca.pem \
      --orders 20 [--http-port 5002] [--poll-ms 10]
badNonce (Pebble injects 5%) is retried, as every ACME client must.
"""
import argparse
import json
import secrets
import statistics
import threading
import time
from importlib import metadata
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import josepy as jose
import OpenSSL
from acme import challenges, client, crypto_util, messages
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

TOKENS = {}  # token -> key authorization


class ChallengeHandler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        prefix = '/.well-known/acme-challenge/'
        answer = TOKENS.get(self.path[len(prefix):]) if self.path.startswith(prefix) else None
        body = (answer or 'not found').encode()
        self.send_response(200 if answer else 404)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def retry_bad_nonce(fn, *args):
    for attempt in range(5):
        try:
            return fn(*args)
        except messages.Error as err:
            if err.code != 'badNonce' or attempt == 4:
                raise


def poll(acme, url, done, interval):
    while True:
        resp = retry_bad_nonce(acme._post_as_get, url)  # pylint: disable=protected-access
        body = resp.json()
        if done(body['status']):
            return body
        time.sleep(interval)


def ec_key_pem():
    key = ec.generate_private_key(ec.SECP256R1())
    return key, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption())


def one_order(acme, account_key, csr_pem, interval):
    orderr = retry_bad_nonce(acme.new_order, csr_pem)
    for authzr in orderr.authorizations:
        if authzr.body.status == messages.STATUS_VALID:
            continue
        challb = next(c for c in authzr.body.challenges if isinstance(c.chall, challenges.HTTP01))
        response, validation = challb.response_and_validation(account_key)
        TOKENS[challb.chall.encode('token')] = validation
        retry_bad_nonce(acme.answer_challenge, challb, response)
        body = poll(acme, authzr.uri, lambda s: s != 'pending', interval)
        if body['status'] != 'valid':
            raise RuntimeError(f'authorization {body["status"]}: {json.dumps(body)}')
    csr = jose.ComparableX509(OpenSSL.crypto.load_certificate_request(OpenSSL.crypto.FILETYPE_PEM, csr_pem))
    retry_bad_nonce(acme._post, orderr.body.finalize,  # pylint: disable=protected-access
                    messages.CertificateRequest(csr=csr))
    body = poll(acme, orderr.uri, lambda s: s in ('valid', 'invalid'), interval)
    if body['status'] != 'valid':
        raise RuntimeError(f'order {body["status"]}')
    pem = retry_bad_nonce(acme._post_as_get, body['certificate']).text  # pylint: disable=protected-access
    if '-----BEGIN CERTIFICATE-----' not in pem:
        raise RuntimeError('no certificate downloaded')


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--directory', required=True)
    p.add_argument('--ca', required=True, help="PEM file trusted for the CA's TLS")
    p.add_argument('--orders', type=int, default=20)
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--http-port', type=int)
    p.add_argument('--poll-ms', type=float, default=10)
    a = p.parse_args()

    if a.http_port:
        server = ThreadingHTTPServer(('127.0.0.1', a.http_port), ChallengeHandler)
        threading.Thread(target=server.serve_forever, daemon=True).start()

    account_ec, _ = ec_key_pem()
    account_key = jose.JWKEC(key=account_ec)
    net = client.ClientNetwork(account_key, alg=jose.ES256, verify_ssl=a.ca, user_agent='floor-acme')
    net.session.trust_env = False  # no proxies from the environment
    directory = client.ClientV2.get_directory(a.directory, net)
    acme = client.ClientV2(directory, net)
    regr = retry_bad_nonce(acme.new_account, messages.NewRegistration.from_data(
        email='floor@bench.test', terms_of_service_agreed=True))
    net.account = regr

    interval = a.poll_ms / 1000
    csrs = []
    for _ in range(a.warmup + a.orders):
        _, key_pem = ec_key_pem()
        name = f'floor-{secrets.token_hex(5)}.bench.test'
        csrs.append(crypto_util.make_csr(key_pem, [name]))
    for csr in csrs[:a.warmup]:
        one_order(acme, account_key, csr, interval)
    times = []
    for csr in csrs[a.warmup:]:
        t0 = time.perf_counter()
        one_order(acme, account_key, csr, interval)
        times.append((time.perf_counter() - t0) * 1000)
    print(json.dumps({
        'orders': len(times),
        'ms_per_order': statistics.fmean(times),
        'min_ms': min(times),
        'median_ms': statistics.median(times),
        'max_ms': max(times),
        'client': f'python3-acme {metadata.version("acme")}',
    }))


if __name__ == '__main__':
    main()
