package tls

import (
	"encoding/binary"
	"errors"
)

// TLS record and handshake constants the proxy needs to read a ClientHello
// (RFC 8446 sections 4 and 5, RFC 6066 section 3, RFC 7301 section 3.1).
const (
	recordHeaderLen       = 5
	recordTypeHandshake   = 22
	handshakeClientHello  = 1
	extensionServerName   = 0
	extensionALPN         = 16
	serverNameTypeHost    = 0
	maxClientHelloMessage = netWindow
)

// errIncomplete says more bytes are needed to read the ClientHello.
var errIncomplete = errors.New("incomplete ClientHello")

// clientHello is what the proxy learns from a ClientHello.
type clientHello struct {
	serverName string
	protocols  []string
}

// parseClientHello reads the ClientHello at the start of data, which may
// span several handshake records. It returns errIncomplete while data holds
// only part of it, and another error when data is not a TLS ClientHello.
func parseClientHello(data []byte) (clientHello, error) {
	var msg []byte
	need := -1 // length of the handshake message with its header, once known
	for len(data) > 0 {
		if len(data) < recordHeaderLen {
			return clientHello{}, errIncomplete
		}
		if data[0] != recordTypeHandshake {
			return clientHello{}, errors.New("first record is not a TLS handshake record")
		}
		if data[1] != 3 {
			return clientHello{}, errors.New("first record does not carry a TLS version")
		}
		n := int(binary.BigEndian.Uint16(data[3:5]))
		if n == 0 {
			return clientHello{}, errors.New("empty handshake record")
		}
		if len(data) < recordHeaderLen+n {
			return clientHello{}, errIncomplete
		}
		msg = append(msg, data[recordHeaderLen:recordHeaderLen+n]...)
		data = data[recordHeaderLen+n:]
		if need < 0 && len(msg) >= 4 {
			if msg[0] != handshakeClientHello {
				return clientHello{}, errors.New("first handshake message is not a ClientHello")
			}
			need = 4 + (int(msg[1])<<16 | int(msg[2])<<8 | int(msg[3]))
			if need > maxClientHelloMessage {
				return clientHello{}, errors.New("ClientHello too large")
			}
		}
		if need >= 0 && len(msg) >= need {
			return decodeClientHello(msg[4:need])
		}
	}
	return clientHello{}, errIncomplete
}

// reader reads the length-prefixed fields of a handshake message.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) bytes(n int) []byte {
	if r.bad || n > len(r.b) {
		r.bad = true
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) uint8() int {
	b := r.bytes(1)
	if b == nil {
		return 0
	}
	return int(b[0])
}

func (r *reader) uint16() int {
	b := r.bytes(2)
	if b == nil {
		return 0
	}
	return int(binary.BigEndian.Uint16(b))
}

func (r *reader) vector8() []byte  { return r.bytes(r.uint8()) }
func (r *reader) vector16() []byte { return r.bytes(r.uint16()) }

// decodeClientHello decodes the body of a ClientHello message.
func decodeClientHello(body []byte) (clientHello, error) {
	var ch clientHello
	r := &reader{b: body}
	r.bytes(2)   // legacy_version
	r.bytes(32)  // random
	r.vector8()  // legacy_session_id
	r.vector16() // cipher_suites
	r.vector8()  // legacy_compression_methods
	if r.bad {
		return ch, errors.New("malformed ClientHello")
	}
	if len(r.b) == 0 {
		return ch, nil // no extensions
	}
	exts := &reader{b: r.vector16()}
	if r.bad {
		return ch, errors.New("malformed ClientHello extensions")
	}
	for len(exts.b) > 0 {
		typ := exts.uint16()
		ext := &reader{b: exts.vector16()}
		if exts.bad {
			return ch, errors.New("malformed ClientHello extension")
		}
		switch typ {
		case extensionServerName:
			names := &reader{b: ext.vector16()}
			for len(names.b) > 0 && !names.bad {
				kind := names.uint8()
				name := names.vector16()
				if kind == serverNameTypeHost && ch.serverName == "" && !names.bad {
					ch.serverName = string(name)
				}
			}
			if ext.bad || names.bad {
				return ch, errors.New("malformed server_name extension")
			}
		case extensionALPN:
			list := &reader{b: ext.vector16()}
			for len(list.b) > 0 && !list.bad {
				if p := list.vector8(); len(p) > 0 {
					ch.protocols = append(ch.protocols, string(p))
				}
			}
			if ext.bad || list.bad {
				return ch, errors.New("malformed application_layer_protocol_negotiation extension")
			}
		}
	}
	return ch, nil
}
