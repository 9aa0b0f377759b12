#!/usr/bin/env bash
# Copyright The Sluice Authors
# SPDX-License-Identifier: Apache-2.0
#
# pki.sh — make the example's test PKI with openssl: a CA, a key for
# localhost signed by it, and a client key signed by it, packed into
# PKCS#12 stores as `openssl pkcs12 -export` writes them.
#
# Usage: pki.sh [DIR]   (default: tls, next to this script)
#
# The store password is $KEYSTORE_PASSWORD (default: generous). DIR gets:
#   keys.p12     the localhost key and its chain, alias "localhost"
#   trust.p12    the CA certificate, alias "clientca" (for mutual TLS)
#   ca.pem       the CA certificate, for curl --cacert and openssl -CAfile
#   client.pem, client.key   a client certificate and key (mutual TLS)
#   localhost.pem, localhost.key   the server's certificate and key
# Certificates are valid for 30 days; run the script again to renew them.
set -euo pipefail

dir=${1:-"$(dirname "$0")/tls"}
password=${KEYSTORE_PASSWORD:-generous}
mkdir -p "$dir"
cd "$dir"

export PKI_PASSWORD=$password
days=30

# EC P-256 keys: small and fast, and every client of the example handles them.
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

key ca.key
openssl req -x509 -new -key ca.key -out ca.pem -days "$days" -subj "/CN=Sluice Example CA" \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign"

issue() { # name subject extensions...
	local name=$1 subject=$2
	shift 2
	key "$name.key"
	openssl req -new -key "$name.key" -out "$name.csr" -subj "$subject"
	printf '%s\n' "$@" >"$name.ext"
	openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
		-out "$name.pem" -days "$days" -extfile "$name.ext" 2>/dev/null
	rm -f "$name.csr" "$name.ext"
}

issue localhost "/CN=localhost" \
	"basicConstraints=CA:FALSE" \
	"keyUsage=critical,digitalSignature" \
	"extendedKeyUsage=serverAuth" \
	"subjectAltName=DNS:localhost,IP:127.0.0.1"
issue client "/CN=client" \
	"basicConstraints=CA:FALSE" \
	"keyUsage=critical,digitalSignature" \
	"extendedKeyUsage=clientAuth"

openssl pkcs12 -export -in localhost.pem -inkey localhost.key -certfile ca.pem \
	-name localhost -passout env:PKI_PASSWORD -out keys.p12
openssl pkcs12 -export -nokeys -in ca.pem -caname clientca \
	-passout env:PKI_PASSWORD -out trust.p12
rm -f ca.srl
echo "pki.sh: wrote keys.p12, trust.p12, ca.pem, client.pem/key, localhost.pem/key to $dir"
