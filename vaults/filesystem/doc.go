// Package filesystem is the filesystem vault (Zilla's vault-filesystem): it
// reads private keys, trusted certificates and signer certificates from key
// store files and hands them to bindings by alias.
//
// # Options
//
//	vaults:
//	  server:
//	    type: filesystem
//	    options:
//	      keys:    { store: tls/localhost.p12, type: pkcs12, password: ${{env.KEYSTORE_PASSWORD}}, entries: [localhost] }
//	      trust:   { store: tls/truststore.p12, password: ... }
//	      signers: { store: tls/signers.p12, password: ... }
//
// Each of keys, trust and signers is optional and configures one store file
// (StoreOptions):
//
//   - store: the file's path, relative to the folder of zilla.yaml;
//   - type: pkcs12 (the default), jks or pem;
//   - password: opens the store and, as in Zilla, every private key in it
//     (a key password that differs from the store password is not
//     supported);
//   - entries: when given, only these aliases are kept, in that order, and a
//     missing one is an error when the vault loads.
//
// keys supplies Vault.Key (a private key with its certificate chain, for a
// TLS server or client certificate), trust supplies Vault.Trust (certificates
// that verify peers), and signers supplies Vault.Signer, whose certificates
// pick among the keys those they signed (Vault.KeysSignedBy, for the tls
// binding's signers option).
//
// # Formats
//
// pkcs12 reads PKCS#12 files as OpenSSL 3 and Java 17 keytool write them
// (PBES2 with AES-256-CBC, HMAC-SHA-256 MAC) and the legacy
// encryption of `openssl -legacy` and older keytool
// (pbeWithSHAAnd40BitRC2-CBC, pbeWithSHAAnd3-KeyTripleDES-CBC, HMAC-SHA-1
// MAC). Certificate-only entries (keytool -importcert, openssl pkcs12
// -export -nokeys) are certificate entries.
//
// jks reads Java KeyStore files (keytool -storetype JKS): private key
// entries and trusted certificate entries. As with Java's
// keystore.type.compat, jks and pkcs12 each also read the other format,
// recognized by the file's content.
//
// pem reads a file of PEM blocks: CERTIFICATE, TRUSTED CERTIFICATE, PRIVATE
// KEY, RSA PRIVATE KEY, EC PRIVATE KEY and ENCRYPTED PRIVATE KEY (PKCS#8,
// decrypted with the password). Keys encrypted with the legacy Proc-Type
// and DEK-Info headers are refused. Other blocks (parameters, CRLs) are
// skipped.
//
// # Aliases
//
// Aliases match case-insensitively, as in Java key stores; Aliases returns
// them as the store spells them: for jks in alias order, for pkcs12 and pem
// key entries first, then certificate entries, each in file order; with the
// entries option, in the order of that list.
//
// In pkcs12 an alias is the friendlyName attribute of a bag, which is what
// keytool -alias and openssl pkcs12 -name set. In jks it is the entry's
// alias. In pem it is the value of the last "friendlyName:" line in the
// text before a block, the Bag Attributes that `openssl pkcs12 -nodes`
// prints:
//
//	Bag Attributes
//	    friendlyName: localhost
//	-----BEGIN CERTIFICATE-----
//
// In pkcs12 and pem files, keys and certificates are grouped into entries
// this way:
//
//   - every private key is a key entry; its leaf certificate is the one with
//     the same localKeyId, else the first with the key's public key
//     (preferring one with the key's name); its
//     chain continues with the issuers of the leaf found among all
//     certificates of the file, nearest first;
//   - a key entry's alias is the key's name, else its leaf's name;
//   - a certificate in no key entry's chain is a certificate entry if it
//     has a name, or if it has none and the file holds no private key (a
//     trust bundle); a certificate in a chain is only part of that chain,
//     unless keytool marked it trusted;
//   - an entry without a name is named after the file without its
//     extension, and further unnamed entries get -2, -3, and so on: in
//     tls/ca.pem holding three unnamed certificates the aliases are "ca",
//     "ca-2" and "ca-3", and a tls/localhost.pem holding a key, its
//     certificate and an intermediate has the one key entry "localhost".
//
// Two entries with the same alias make the store fail to load.
//
// # Errors
//
// Errors name the store, as `pkcs12 store "tls/localhost.p12": ...`, and the
// alias where there is one; they never contain the password. A wrong
// password wraps ErrWrongPassword, a missing alias ErrNotFound, a missing
// file fs.ErrNotExist.
package filesystem
