#!/usr/bin/env bash
# Copyright The Sluice Authors
# SPDX-License-Identifier: Apache-2.0
#
# pki.sh — make the example's test PKI with openssl: a CA and a key for
# localhost signed by it, as PEM files.
#
# Usage: pki.sh [DIR]   (default: tls, next to this script)
#
# DIR gets:
#   ca.pem          the CA certificate, for curl --cacert
#   localhost.pem   the localhost key, its certificate and the CA (the vault's key store)
# Certificates are valid for 30 days; run the script again to renew them.
set -euo pipefail

dir=${1:-"$(dirname "$0")/tls"}
mkdir -p "$dir"
cd "$dir"
days=30

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

key ca.key
openssl req -x509 -new -key ca.key -out ca.pem -days "$days" -subj "/CN=Sluice Example CA" \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign"

key localhost.key
openssl req -new -key localhost.key -out localhost.csr -subj "/CN=localhost"
printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
	"extendedKeyUsage=serverAuth" "subjectAltName=DNS:localhost,IP:127.0.0.1" >localhost.ext
openssl x509 -req -in localhost.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
	-out localhost.crt -days "$days" -extfile localhost.ext 2>/dev/null
cat localhost.key localhost.crt ca.pem >localhost.pem
rm -f localhost.csr localhost.ext localhost.crt localhost.key ca.srl
