package http

import (
	"bytes"
	"errors"
	"strconv"

	httpspec "github.com/sluicehq/sluice/specs/http"
)

// Chunked request body decoding states (RFC 9112 section 7.1).
const (
	chunkSize uint8 = iota
	chunkData
	chunkDataEnd
	chunkTrailer
)

// maxChunkLine bounds a chunk-size line with its extensions.
const maxChunkLine = 4096

// chunkDecoder decodes a chunked body (RFC 9112 section 7.1) from whatever
// input has arrived, handing out chunk data as slices of the input.
type chunkDecoder struct {
	state uint8
	left  int64 // bytes left in the current chunk
}

var errChunked = errors.New("malformed chunked encoding")

// step consumes chunk framing, or up to max bytes of chunk data (returned
// in data), from the start of in. consumed is 0 when more input (or more
// credit, for data) is needed. end reports the last chunk and its trailer
// section, parsed into trailers.
func (d *chunkDecoder) step(in []byte, max int, trailerLimit int) (consumed int, data []byte, end bool, trailers httpspec.Headers, err error) {
	switch d.state {
	case chunkData:
		n := int(min(int64(len(in)), d.left, int64(max)))
		if n == 0 {
			return 0, nil, false, nil, nil
		}
		d.left -= int64(n)
		if d.left == 0 {
			d.state = chunkDataEnd
		}
		return n, in[:n:n], false, nil, nil
	case chunkDataEnd:
		switch {
		case len(in) >= 2 && in[0] == '\r' && in[1] == '\n':
			d.state = chunkSize
			return 2, nil, false, nil, nil
		case len(in) >= 1 && in[0] == '\n':
			d.state = chunkSize
			return 1, nil, false, nil, nil
		case len(in) < 2 && (len(in) == 0 || in[0] == '\r'):
			return 0, nil, false, nil, nil
		}
		return 0, nil, false, nil, errChunked
	case chunkSize:
		i := bytes.IndexByte(in, '\n')
		if i < 0 {
			if len(in) > maxChunkLine {
				return 0, nil, false, nil, errChunked
			}
			return 0, nil, false, nil, nil
		}
		line := in[:i]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		if semi := bytes.IndexByte(line, ';'); semi >= 0 {
			line = line[:semi]
		}
		line = trimOWS(line)
		size, perr := strconv.ParseUint(string(line), 16, 63)
		if perr != nil || len(line) == 0 {
			return 0, nil, false, nil, errChunked
		}
		if size == 0 {
			d.state = chunkTrailer
		} else {
			d.state, d.left = chunkData, int64(size)
		}
		return i + 1, nil, false, nil, nil
	case chunkTrailer:
		var n int
		switch {
		case len(in) >= 2 && in[0] == '\r' && in[1] == '\n':
			n = 2
		case len(in) >= 1 && in[0] == '\n':
			n = 1
		default:
			n = findHeadEnd(in, 0)
		}
		if n <= 0 {
			if len(in) >= trailerLimit {
				return 0, nil, false, nil, errChunked
			}
			return 0, nil, false, nil, nil
		}
		tr, ok := parseTrailers(in[:n])
		if !ok {
			return 0, nil, false, nil, errChunked
		}
		return n, nil, true, tr, nil
	}
	return 0, nil, false, nil, errChunked
}
