package pfx

import (
	"errors"
	"fmt"
)

var (
	// ErrIncorrectPassword means the integrity MAC of a PFX does not verify
	// with the password: the password is wrong, or the file was altered.
	ErrIncorrectPassword = errors.New("integrity check failed: wrong password or corrupted file")

	// ErrDecryption means decryption with the password gave no valid
	// plaintext (bad padding, or content that does not parse where nothing
	// had verified the password before): the password, or a private key's
	// own password, is wrong, or the data is corrupted.
	ErrDecryption = errors.New("decryption failed: wrong password or corrupted data")
)

// UnsupportedError reports an algorithm or structure that the decoder
// recognizes as valid PKCS#12 but does not implement.
type UnsupportedError struct {
	What string // what is unsupported, e.g. "encryption algorithm sm4-CBC (1.2.156.10197.1.104.2)"
}

// Error implements error.
func (e *UnsupportedError) Error() string {
	return "unsupported " + e.What
}

func unsupported(format string, args ...any) error {
	return &UnsupportedError{What: fmt.Sprintf(format, args...)}
}

// malformed reports a structure that does not parse; what names it.
func malformed(what string, err error) error {
	if err == nil {
		return errors.New("malformed " + what)
	}
	return fmt.Errorf("malformed %s: %w", what, err)
}
