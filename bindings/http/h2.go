package http

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"io"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// HTTP/2 flow-control windows the server advertises: each stream may have
// streamWindow bytes of request body in flight, the connection connWindow.
// They bound what a connection buffers when exits read slowly.
const (
	streamWindow = 64 << 10
	connWindow   = 1 << 20
	// maxReadFrame is the largest frame the server accepts (the protocol
	// default, which it does not raise).
	maxReadFrame = 16 << 10
	// streamOutCap bounds the response bytes one stream may have granted
	// or queued, whatever window the client allows.
	streamOutCap = 64 << 10
)

// h2Conn serves HTTP/2 on a connection. Frames are parsed once a whole
// frame (or a whole header block) is buffered: DATA frames by hand, so
// that their payload reaches the exit without a copy, everything else by
// golang.org/x/net/http2's Framer (with its HPACK decoder and header
// validation) reading from that buffer. Frames are written by hand.
type h2Conn struct {
	c  *serverConn
	fr *http2.Framer
	rd frameReader

	enc    *hpack.Encoder
	encBuf bytes.Buffer

	prefaceRead  bool
	settingsSeen bool

	peerMaxFrame      int
	peerInitialWindow int64
	sendWindow        int64 // connection window for our DATA
	recvWindow        int64 // what the client may still send on the connection
	recvUnacked       int

	streams     map[uint32]*h2Stream
	maxClientID uint32
	goaway      bool // GOAWAY sent: no new streams
	failed      bool // connection error: ignore further input
	peerGoaway  bool
	dirty       []*h2Stream
	opened      int // streams the client opened
	cancelled   int // streams the client reset before their response ended
	started     time.Time
	idleSince   time.Time
}

// frameReader feeds the Framer from the connection's input buffer.
type frameReader struct{ b []byte }

func (r *frameReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.ErrUnexpectedEOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// newH2Conn starts HTTP/2 on c: it queues the server's SETTINGS and the
// connection window. upgradeSettings holds the client's settings from an
// h2c upgrade.
func newH2Conn(c *serverConn, upgradeSettings []byte) *h2Conn {
	cfg := c.srv.cfg
	h := &h2Conn{c: c, streams: map[uint32]*h2Stream{},
		peerMaxFrame: 16384, peerInitialWindow: 65535, sendWindow: 65535,
		recvWindow: connWindow, started: time.Now()}
	h.idleSince = h.started
	h.fr = http2.NewFramer(nil, &h.rd)
	h.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	// The Framer decodes up to twice the advertised limit, so that a head a
	// little too large gets its 431 rather than a connection error.
	h.fr.MaxHeaderListSize = uint32(2 * cfg.headerLimit)
	h.fr.SetMaxReadFrameSize(maxReadFrame)
	h.enc = hpack.NewEncoder(&h.encBuf)

	var s [3 * 6]byte
	put := func(i int, id http2.SettingID, v uint32) {
		binary.BigEndian.PutUint16(s[i*6:], uint16(id))
		binary.BigEndian.PutUint32(s[i*6+2:], v)
	}
	put(0, http2.SettingMaxConcurrentStreams, uint32(cfg.maxStreams))
	put(1, http2.SettingInitialWindowSize, streamWindow)
	put(2, http2.SettingMaxHeaderListSize, uint32(cfg.headerLimit))
	h.writeFrame(http2.FrameSettings, 0, 0, s[:])
	h.writeWindowUpdate(0, connWindow-65535)
	if upgradeSettings != nil {
		h.applySettings(upgradeSettings)
	}
	c.scheduleFlush()
	c.armTimer(h.started.Add(cfg.headerTimeout))
	return h
}

// decodeH2Settings decodes the HTTP2-Settings header of an h2c upgrade.
func decodeH2Settings(v string) ([]byte, bool) {
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		b, err = base64.URLEncoding.DecodeString(v)
	}
	if err != nil || len(b)%6 != 0 {
		return nil, false
	}
	return b, true
}

// applySettings applies a SETTINGS payload received before the preface
// (h2c upgrade).
func (h *h2Conn) applySettings(b []byte) {
	for ; len(b) >= 6; b = b[6:] {
		h.applySetting(http2.Setting{ID: http2.SettingID(binary.BigEndian.Uint16(b)), Val: binary.BigEndian.Uint32(b[2:])})
	}
}

func (h *h2Conn) applySetting(s http2.Setting) error {
	if err := s.Valid(); err != nil {
		return err
	}
	switch s.ID {
	case http2.SettingInitialWindowSize:
		delta := int64(s.Val) - h.peerInitialWindow
		h.peerInitialWindow = int64(s.Val)
		for _, st := range h.streams {
			st.sendWindow += delta
			if st.sendWindow > 1<<31-1 {
				return http2.ConnectionError(http2.ErrCodeFlowControl)
			}
			if delta > 0 {
				h.markDirty(st)
			}
		}
	case http2.SettingMaxFrameSize:
		h.peerMaxFrame = int(s.Val)
	case http2.SettingHeaderTableSize:
		h.enc.SetMaxDynamicTableSizeLimit(s.Val)
	}
	return nil
}

// received parses every complete frame in the input buffer.
func (h *h2Conn) received() {
	c := h.c
	for !c.closed && !h.failed && !c.ended {
		if !h.prefaceRead {
			n := min(len(c.in), len(h2Preface))
			if string(c.in[:n]) != h2Preface[:n] {
				h.connError(http2.ErrCodeProtocol, "invalid connection preface")
				return
			}
			if n < len(h2Preface) {
				return
			}
			c.consume(n)
			h.prefaceRead = true
		}
		in := c.in
		if len(in) < 9 {
			return
		}
		length := int(in[0])<<16 | int(in[1])<<8 | int(in[2])
		typ, flags := http2.FrameType(in[3]), http2.Flags(in[4])
		sid := binary.BigEndian.Uint32(in[5:]) & (1<<31 - 1)
		if length > maxReadFrame {
			h.connError(http2.ErrCodeFrameSize, "frame too large")
			return
		}
		total := 9 + length
		if len(in) < total {
			return
		}
		if !h.settingsSeen && typ != http2.FrameSettings {
			h.connError(http2.ErrCodeProtocol, "connection preface must start with SETTINGS")
			return
		}
		if typ == http2.FrameData {
			payload := in[9:total:total]
			c.consume(total)
			h.onData(sid, flags, payload)
			continue
		}
		if typ == http2.FrameHeaders && !flags.Has(http2.FlagHeadersEndHeaders) {
			end, code, reason := headerBlockEnd(in, sid, total, 2*c.srv.cfg.headerLimit+2*maxReadFrame)
			if end < 0 {
				h.connError(code, reason)
				return
			}
			if end == 0 {
				return
			}
			total = end
		}
		h.rd.b = in[:total]
		f, err := h.fr.ReadFrame()
		c.consume(total)
		if err != nil {
			h.readError(err)
			continue
		}
		h.onFrame(f)
	}
}

func (h *h2Conn) readError(err error) {
	var se http2.StreamError
	var ce http2.ConnectionError
	switch {
	case errors.As(err, &se):
		if st := h.streams[se.StreamID]; st != nil {
			st.resetStream(se.Code)
		} else {
			if se.StreamID > h.maxClientID {
				h.maxClientID = se.StreamID
			}
			h.writeRSTStream(se.StreamID, se.Code)
			h.c.scheduleFlush()
		}
	case errors.As(err, &ce):
		reason := "protocol error"
		if d := h.fr.ErrorDetail(); d != nil {
			reason = d.Error()
		}
		h.connError(http2.ErrCode(ce), reason)
	default:
		h.connError(http2.ErrCodeProtocol, err.Error())
	}
}

func (h *h2Conn) onFrame(f http2.Frame) {
	switch f := f.(type) {
	case *http2.MetaHeadersFrame:
		h.onHeaders(f)
	case *http2.SettingsFrame:
		if f.IsAck() {
			return
		}
		h.settingsSeen = true
		if err := f.ForeachSetting(h.applySetting); err != nil {
			var ce http2.ConnectionError
			if errors.As(err, &ce) {
				h.connError(http2.ErrCode(ce), "invalid setting")
			} else {
				h.connError(http2.ErrCodeProtocol, err.Error())
			}
			return
		}
		h.writeFrame(http2.FrameSettings, http2.FlagSettingsAck, 0, nil)
		h.c.scheduleFlush()
	case *http2.PingFrame:
		if !f.IsAck() {
			h.writeFrame(http2.FramePing, http2.FlagPingAck, 0, f.Data[:])
			h.c.scheduleFlush()
		}
	case *http2.WindowUpdateFrame:
		h.onWindowUpdate(f.StreamID, int64(f.Increment))
	case *http2.RSTStreamFrame:
		if st := h.streams[f.StreamID]; st != nil {
			st.clientReset(f.ErrCode)
		} else if f.StreamID > h.maxClientID {
			h.connError(http2.ErrCodeProtocol, "RST_STREAM on an idle stream")
		}
	case *http2.GoAwayFrame:
		h.peerGoaway = true
		if len(h.streams) == 0 {
			h.c.shutdown()
		}
	case *http2.PushPromiseFrame:
		h.connError(http2.ErrCodeProtocol, "PUSH_PROMISE from a client")
	}
}

func (h *h2Conn) onWindowUpdate(sid uint32, inc int64) {
	if sid == 0 {
		h.sendWindow += inc
		if h.sendWindow > 1<<31-1 {
			h.connError(http2.ErrCodeFlowControl, "connection window overflow")
			return
		}
		for _, st := range h.streams {
			if st.outN > 0 {
				h.markDirty(st)
			}
		}
		return
	}
	st := h.streams[sid]
	if st == nil {
		if sid > h.maxClientID {
			h.connError(http2.ErrCodeProtocol, "WINDOW_UPDATE on an idle stream")
		}
		return
	}
	st.sendWindow += inc
	if st.sendWindow > 1<<31-1 {
		st.resetStream(http2.ErrCodeFlowControl)
		return
	}
	h.markDirty(st)
	st.grantReply()
}

// onData accounts a DATA frame against the windows and hands its payload
// to the stream.
func (h *h2Conn) onData(sid uint32, flags http2.Flags, payload []byte) {
	if sid == 0 {
		h.connError(http2.ErrCodeProtocol, "DATA on stream 0")
		return
	}
	n := len(payload)
	if int64(n) > h.recvWindow {
		h.connError(http2.ErrCodeFlowControl, "connection window exceeded")
		return
	}
	h.recvWindow -= int64(n)
	data := payload
	if flags.Has(http2.FlagDataPadded) {
		if n == 0 || int(payload[0]) >= n {
			h.connError(http2.ErrCodeProtocol, "invalid padding")
			return
		}
		data = payload[1 : n-int(payload[0])]
	}
	st := h.streams[sid]
	if st == nil {
		if sid > h.maxClientID {
			h.connError(http2.ErrCodeProtocol, "DATA on an idle stream")
			return
		}
		h.ackConn(n)
		h.writeRSTStream(sid, http2.ErrCodeStreamClosed)
		h.c.scheduleFlush()
		return
	}
	st.onData(n, data, flags.Has(http2.FlagDataEndStream))
}

// ackConn returns n bytes of connection window to the client, in batches.
func (h *h2Conn) ackConn(n int) {
	h.recvUnacked += n
	if h.recvUnacked >= connWindow/4 {
		h.writeWindowUpdate(0, uint32(h.recvUnacked))
		h.recvWindow += int64(h.recvUnacked)
		h.recvUnacked = 0
		h.c.scheduleFlush()
	}
}

// connError ends the connection with GOAWAY and the error code.
func (h *h2Conn) connError(code http2.ErrCode, reason string) {
	if h.failed {
		return
	}
	c := h.c
	c.log.Warn("http2 connection error", "code", code.String(), "reason", reason, "client", c.client())
	h.failed = true
	h.abortStreams()
	h.writeGoAway(code, reason)
	c.in = nil
	c.shutdown()
}

func (h *h2Conn) abortStreams() {
	for _, st := range h.streams {
		st.terminate()
	}
	h.streams = map[uint32]*h2Stream{}
	h.dirty = nil
}

func (h *h2Conn) markDirty(st *h2Stream) {
	if !st.dirty {
		st.dirty = true
		h.dirty = append(h.dirty, st)
		h.c.scheduleFlush()
	}
}

// commit writes the frames of every stream with something to send.
func (h *h2Conn) commit() {
	for len(h.dirty) > 0 {
		dirty := h.dirty
		h.dirty = nil
		for _, st := range dirty {
			st.dirty = false
			if !st.closed {
				st.pump()
			}
		}
	}
}

func (h *h2Conn) wrote() {
	for _, st := range h.streams {
		st.grantReply()
	}
}

func (h *h2Conn) inputEnded() {
	h.failed = true
	h.abortStreams()
	h.c.shutdown()
}

func (h *h2Conn) abort() { h.abortStreams() }

// drain sends GOAWAY: streams in progress finish, new ones are refused.
func (h *h2Conn) drain() {
	if h.goaway || h.failed {
		return
	}
	h.writeGoAway(http2.ErrCodeNo, "")
	if len(h.streams) == 0 {
		h.c.shutdown()
	}
}

// removeStream forgets a stream that is closed both ways.
func (h *h2Conn) removeStream(st *h2Stream) {
	delete(h.streams, st.id)
	if len(h.streams) == 0 {
		if h.goaway || h.peerGoaway {
			h.c.shutdown()
			return
		}
		h.idleSince = time.Now()
		h.c.armTimer(h.idleSince.Add(h.c.srv.cfg.keepAlive))
	}
}

func (h *h2Conn) timeout(now time.Time) time.Time {
	c := h.c
	cfg := c.srv.cfg
	if !h.settingsSeen {
		if at := h.started.Add(cfg.headerTimeout); now.Before(at) {
			return at
		}
		c.log.Debug("http2 preface not received in time", "client", c.client())
		c.abortConn()
		return time.Time{}
	}
	var next time.Time
	earliest := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	if len(h.streams) == 0 {
		at := h.idleSince.Add(cfg.keepAlive)
		if !now.Before(at) {
			c.log.Debug("idle connection closed", "client", c.client())
			h.drain()
			return time.Time{}
		}
		earliest(at)
	}
	for _, st := range h.streams {
		if !st.waitingForClient() {
			continue
		}
		at := st.lastProgress.Add(cfg.bodyTimeout)
		if now.Before(at) {
			earliest(at)
			continue
		}
		st.stalled()
	}
	return next
}

// Frame writing. Frames are appended to the connection's output queue.

func (h *h2Conn) writeFrameHeader(length int, typ http2.FrameType, flags http2.Flags, sid uint32) {
	writeFrameHeader(&h.c.out, length, typ, flags, sid)
}

func (h *h2Conn) writeFrame(typ http2.FrameType, flags http2.Flags, sid uint32, payload []byte) {
	writeFrame(&h.c.out, typ, flags, sid, payload)
}

func writeFrameHeader(out *outQueue, length int, typ http2.FrameType, flags http2.Flags, sid uint32) {
	hdr := [9]byte{byte(length >> 16), byte(length >> 8), byte(length), byte(typ), byte(flags)}
	binary.BigEndian.PutUint32(hdr[5:], sid)
	out.write(hdr[:])
}

func writeFrame(out *outQueue, typ http2.FrameType, flags http2.Flags, sid uint32, payload []byte) {
	writeFrameHeader(out, len(payload), typ, flags, sid)
	out.write(payload)
}

// writeHeaderBlock writes an encoded header block as HEADERS and, beyond
// maxFrame, CONTINUATION frames.
func writeHeaderBlock(out *outQueue, sid uint32, block []byte, endStream bool, maxFrame int) {
	flags := http2.Flags(0)
	if endStream {
		flags |= http2.FlagHeadersEndStream
	}
	typ := http2.FrameHeaders
	for {
		n := min(len(block), maxFrame)
		f := flags
		if n == len(block) {
			f |= http2.FlagHeadersEndHeaders
		}
		writeFrame(out, typ, f, sid, block[:n])
		block = block[n:]
		if len(block) == 0 {
			return
		}
		typ, flags = http2.FrameContinuation, 0
	}
}

// headerBlockEnd finds the end of a header block that starts with a
// HEADERS frame of total bytes and continues in CONTINUATION frames. It
// returns 0 while the block is incomplete and -1 on a protocol error
// (reason says which).
func headerBlockEnd(in []byte, sid uint32, total, limit int) (int, http2.ErrCode, string) {
	for {
		if total > limit {
			return -1, http2.ErrCodeEnhanceYourCalm, "header block too large"
		}
		if len(in) < total+9 {
			return 0, 0, ""
		}
		length := int(in[total])<<16 | int(in[total+1])<<8 | int(in[total+2])
		typ, flags := http2.FrameType(in[total+3]), http2.Flags(in[total+4])
		id := binary.BigEndian.Uint32(in[total+5:]) & (1<<31 - 1)
		if typ != http2.FrameContinuation || id != sid {
			return -1, http2.ErrCodeProtocol, "header block interrupted"
		}
		if length > maxReadFrame {
			return -1, http2.ErrCodeFrameSize, "frame too large"
		}
		total += 9 + length
		if len(in) < total {
			return 0, 0, ""
		}
		if flags.Has(http2.FlagContinuationEndHeaders) {
			return total, 0, ""
		}
	}
}

func (h *h2Conn) writeWindowUpdate(sid uint32, n uint32) {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], n)
	h.writeFrame(http2.FrameWindowUpdate, 0, sid, b[:])
}

func (h *h2Conn) writeRSTStream(sid uint32, code http2.ErrCode) {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(code))
	h.writeFrame(http2.FrameRSTStream, 0, sid, b[:])
}

func (h *h2Conn) writeGoAway(code http2.ErrCode, debug string) {
	h.goaway = true
	b := make([]byte, 8, 8+len(debug))
	binary.BigEndian.PutUint32(b, h.maxClientID)
	binary.BigEndian.PutUint32(b[4:], uint32(code))
	b = append(b, debug...)
	h.writeFrame(http2.FrameGoAway, 0, 0, b)
	h.c.scheduleFlush()
}

// writeHeaders HPACK-encodes fields and writes them as HEADERS and, when
// the block exceeds the client's frame size, CONTINUATION frames.
func (h *h2Conn) writeHeaders(sid uint32, fields []hpack.HeaderField, endStream bool) {
	h.encBuf.Reset()
	for _, f := range fields {
		h.enc.WriteField(f)
	}
	writeHeaderBlock(&h.c.out, sid, h.encBuf.Bytes(), endStream, h.peerMaxFrame)
}
