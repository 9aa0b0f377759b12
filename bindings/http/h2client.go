package http

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/engine"
	httpspec "github.com/sluicehq/sluice/specs/http"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2Client runs HTTP/2 streams on an origin connection.
type h2Client struct {
	c  *originConn
	fr *http2.Framer
	rd frameReader

	enc    *hpack.Encoder
	encBuf bytes.Buffer

	settingsSeen      bool
	peerMaxFrame      int
	peerInitialWindow int64
	sendWindow        int64
	recvWindow        int64
	recvUnacked       int

	streams       map[uint32]*originReq
	nextID        uint32
	pending       []*originReq
	maxConcurrent int
	goaway        bool
	failed        bool
	dirty         []*originReq
}

func newH2Client(c *originConn) *h2Client {
	h := &h2Client{c: c, peerMaxFrame: 16384, peerInitialWindow: 65535, sendWindow: 65535,
		recvWindow: connWindow, streams: map[uint32]*originReq{}, nextID: 1, maxConcurrent: 100}
	h.fr = http2.NewFramer(nil, &h.rd)
	h.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	h.fr.MaxHeaderListSize = maxResponseHead
	h.fr.SetMaxReadFrameSize(maxReadFrame)
	h.enc = hpack.NewEncoder(&h.encBuf)
	c.out.writeString(h2Preface)
	var s [2 * 6]byte
	binary.BigEndian.PutUint16(s[0:], uint16(http2.SettingEnablePush))
	binary.BigEndian.PutUint32(s[2:], 0)
	binary.BigEndian.PutUint16(s[6:], uint16(http2.SettingInitialWindowSize))
	binary.BigEndian.PutUint32(s[8:], streamWindow)
	writeFrame(&c.out, http2.FrameSettings, 0, 0, s[:])
	var w [4]byte
	binary.BigEndian.PutUint32(w[:], connWindow-65535)
	writeFrame(&c.out, http2.FrameWindowUpdate, 0, 0, w[:])
	c.scheduleFlush()
	return h
}

// start opens a stream for r, or queues it beyond the origin's concurrency.
func (h *h2Client) start(r *originReq) {
	if h.goaway || h.failed {
		r.failed(502)
		h.c.cl.unreserve(h.c)
		return
	}
	// Streams wait for the origin's SETTINGS, which say how many it takes.
	if !h.settingsSeen || len(h.streams) >= h.maxConcurrent {
		h.pending = append(h.pending, r)
		return
	}
	h.c.idle = false
	r.id = h.nextID
	h.nextID += 2
	r.sendWindow = h.peerInitialWindow
	r.recvWindow = streamWindow
	h.streams[r.id] = r
	h.markDirty(r)
}

func (h *h2Client) markDirty(r *originReq) {
	if !r.dirty {
		r.dirty = true
		h.dirty = append(h.dirty, r)
		h.c.scheduleFlush()
	}
}

func (h *h2Client) requestProgress(r *originReq) {
	if r.id != 0 {
		h.markDirty(r)
	}
}

func (h *h2Client) commit() {
	for len(h.dirty) > 0 {
		dirty := h.dirty
		h.dirty = nil
		for _, r := range dirty {
			r.dirty = false
			if !r.done && r.id != 0 {
				h.pump(r)
			}
		}
	}
}

// pump writes the request head, its body within the windows and its end.
func (h *h2Client) pump(r *originReq) {
	c := h.c
	if !r.headSent {
		r.headSent = true
		h.encBuf.Reset()
		for _, name := range []string{httpspec.Method, httpspec.Scheme, httpspec.Authority, httpspec.Path} {
			v := r.headers.Value(name)
			if name == httpspec.Authority && v == "" {
				v = c.pool.key.authority
			}
			h.enc.WriteField(hpack.HeaderField{Name: name, Value: v})
		}
		for _, f := range r.headers {
			if f.Name == "" || f.Name[0] == ':' || f.Name == "host" || (hopByHop(f.Name) && !(f.Name == "te" && f.Value == "trailers")) {
				continue
			}
			if !validTokenString(f.Name) || !validFieldValueString(f.Value) {
				continue
			}
			h.enc.WriteField(hpack.HeaderField{Name: strings.ToLower(f.Name), Value: f.Value})
		}
		end := r.reqEnded && r.bodyN == 0 && len(r.trailers) == 0
		writeHeaderBlock(&c.out, r.id, h.encBuf.Bytes(), end, h.peerMaxFrame)
		if end {
			r.endSent = true
		}
	}
	for r.bodyN > 0 && r.sendWindow > 0 && h.sendWindow > 0 {
		p := r.body[0]
		n := min(len(p), int(r.sendWindow), int(h.sendWindow), h.peerMaxFrame)
		r.bodyN -= n
		flags := http2.Flags(0)
		if r.reqEnded && r.bodyN == 0 && len(r.trailers) == 0 {
			flags = http2.FlagDataEndStream
			r.endSent = true
		}
		writeFrameHeader(&c.out, n, http2.FrameData, flags, r.id)
		c.out.writeOwned(p[:n:n])
		if n == len(p) {
			r.body[0] = nil
			r.body = r.body[1:]
		} else {
			r.body[0] = p[n:]
		}
		r.sendWindow -= int64(n)
		h.sendWindow -= int64(n)
		r.bodySent = true
	}
	if r.bodyN == 0 {
		r.body = nil
		if r.reqEnded && !r.endSent {
			r.endSent = true
			if len(r.trailers) > 0 {
				h.encBuf.Reset()
				for _, t := range r.trailers {
					if t.Name != "" && t.Name[0] != ':' && validFieldValueString(t.Value) {
						h.enc.WriteField(hpack.HeaderField{Name: strings.ToLower(t.Name), Value: t.Value})
					}
				}
				writeHeaderBlock(&c.out, r.id, h.encBuf.Bytes(), true, h.peerMaxFrame)
			} else {
				writeFrame(&c.out, http2.FrameData, http2.FlagDataEndStream, r.id, nil)
			}
		}
	}
	h.grantRequest(r)
	h.maybeDone(r)
}

func (h *h2Client) grantRequest(r *originReq) {
	room := min(r.sendWindow, streamOutCap)
	room = min(room, int64(outLimit-h.c.out.n))
	r.grantRequest(int(max(room, 0)))
}

func (h *h2Client) wrote() {
	for _, r := range h.streams {
		if r.headSent && !r.reqEnded {
			h.grantRequest(r)
		}
	}
}

// received parses every complete frame from the origin.
func (h *h2Client) received() {
	c := h.c
	for !c.closed && !h.failed {
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
			h.connError(http2.ErrCodeProtocol, "server preface must start with SETTINGS")
			return
		}
		if typ == http2.FrameData {
			payload := in[9:total:total]
			c.consume(total)
			h.onData(sid, flags, payload)
			continue
		}
		if typ == http2.FrameHeaders && !flags.Has(http2.FlagHeadersEndHeaders) {
			end, code, reason := headerBlockEnd(in, sid, total, 2*maxResponseHead)
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
			var se http2.StreamError
			if errors.As(err, &se) {
				if r := h.streams[se.StreamID]; r != nil {
					h.resetStream(r, se.Code)
				}
				continue
			}
			var ce http2.ConnectionError
			if errors.As(err, &ce) {
				h.connError(http2.ErrCode(ce), "invalid frame from origin")
			} else {
				h.connError(http2.ErrCodeProtocol, err.Error())
			}
			return
		}
		h.onFrame(f)
	}
}

func (h *h2Client) onFrame(f http2.Frame) {
	c := h.c
	switch f := f.(type) {
	case *http2.MetaHeadersFrame:
		h.onHeaders(f)
	case *http2.SettingsFrame:
		if f.IsAck() {
			return
		}
		h.settingsSeen = true
		err := f.ForeachSetting(func(s http2.Setting) error {
			if err := s.Valid(); err != nil {
				return err
			}
			switch s.ID {
			case http2.SettingInitialWindowSize:
				delta := int64(s.Val) - h.peerInitialWindow
				h.peerInitialWindow = int64(s.Val)
				for _, r := range h.streams {
					r.sendWindow += delta
					h.markDirty(r)
				}
			case http2.SettingMaxFrameSize:
				h.peerMaxFrame = int(s.Val)
			case http2.SettingHeaderTableSize:
				h.enc.SetMaxDynamicTableSizeLimit(s.Val)
			case http2.SettingMaxConcurrentStreams:
				h.maxConcurrent = int(min(s.Val, 1<<20))
				c.cl.setMaxStreams(c, h.maxConcurrent)
			}
			return nil
		})
		if err != nil {
			h.connError(http2.ErrCodeProtocol, "invalid setting")
			return
		}
		writeFrame(&c.out, http2.FrameSettings, http2.FlagSettingsAck, 0, nil)
		c.scheduleFlush()
		h.startPending()
	case *http2.PingFrame:
		if !f.IsAck() {
			writeFrame(&c.out, http2.FramePing, http2.FlagPingAck, 0, f.Data[:])
			c.scheduleFlush()
		}
	case *http2.WindowUpdateFrame:
		if f.StreamID == 0 {
			h.sendWindow += int64(f.Increment)
			for _, r := range h.streams {
				if r.bodyN > 0 {
					h.markDirty(r)
				}
			}
			return
		}
		if r := h.streams[f.StreamID]; r != nil {
			r.sendWindow += int64(f.Increment)
			h.markDirty(r)
		}
	case *http2.RSTStreamFrame:
		if r := h.streams[f.StreamID]; r != nil {
			if f.ErrCode == http2.ErrCodeRefusedStream && !r.respBegun && !r.bodySent && !r.retried {
				// The origin did not process it: send it again as a new stream.
				delete(h.streams, r.id)
				r.id, r.headSent, r.endSent, r.retried = 0, false, false, true
				h.pending = append(h.pending, r)
				h.startPending()
				return
			}
			c.cl.bc.Log.Warn("origin reset a stream", "code", f.ErrCode.String(), "authority", c.pool.key.authority)
			h.removeStream(r)
			r.failed(502)
		}
	case *http2.GoAwayFrame:
		h.goaway = true
		c.cl.setGoaway(c)
		for id, r := range h.streams {
			if id > f.LastStreamID {
				h.removeStream(r)
				r.failed(502)
			}
		}
		for _, r := range h.pending {
			r.failed(502)
			c.cl.unreserve(c)
		}
		h.pending = nil
		if len(h.streams) == 0 {
			c.closeGracefully()
		}
	case *http2.PushPromiseFrame:
		h.connError(http2.ErrCodeProtocol, "push promise although push is disabled")
	}
}

func (h *h2Client) onHeaders(f *http2.MetaHeadersFrame) {
	r := h.streams[f.StreamID]
	if r == nil {
		return
	}
	if !r.respBegun {
		status := f.PseudoValue("status")
		code, err := strconv.Atoi(status)
		if err != nil {
			h.resetStream(r, http2.ErrCodeProtocol)
			r.failed(502)
			return
		}
		if code < 200 {
			return // informational
		}
		headers := make(httpspec.Headers, 1, len(f.Fields))
		headers[0] = httpspec.Header{Name: httpspec.Status, Value: status}
		for _, hf := range f.RegularFields() {
			headers = append(headers, httpspec.Header{Name: hf.Name, Value: hf.Value})
		}
		r.respBegun = true
		r.s.Begin(&httpspec.BeginEx{Headers: headers})
		if f.StreamEnded() {
			r.endPending = true
			h.responseProgress(r)
		}
		return
	}
	trailers := make(httpspec.Headers, 0, len(f.Fields))
	for _, hf := range f.RegularFields() {
		trailers = append(trailers, httpspec.Header{Name: hf.Name, Value: hf.Value})
	}
	r.respTrail = trailers
	r.endPending = true
	h.responseProgress(r)
}

func (h *h2Client) onData(sid uint32, flags http2.Flags, payload []byte) {
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
	r := h.streams[sid]
	if r == nil || !r.respBegun || r.endPending {
		h.ackConn(n)
		return
	}
	if pad := n - len(data); pad > 0 {
		h.ackConn(pad)
	}
	if len(data) > 0 {
		r.respBuf = append(r.respBuf, data)
		r.respN += len(data)
	}
	if flags.Has(http2.FlagDataEndStream) {
		r.endPending = true
	}
	h.responseProgress(r)
}

// responseProgress forwards buffered response bytes within the
// requester's window, and the end once they are through.
func (h *h2Client) responseProgress(r *originReq) {
	if r.done || r.id == 0 {
		return
	}
	for r.respN > 0 {
		credit := r.s.Credit()
		if credit <= 0 {
			return
		}
		p := r.respBuf[0]
		n := min(len(p), credit)
		r.s.Data(engine.FlagsComplete, p[:n:n], nil)
		if n == len(p) {
			r.respBuf[0] = nil
			r.respBuf = r.respBuf[1:]
		} else {
			r.respBuf[0] = p[n:]
		}
		r.respN -= n
		h.ackConn(n)
		if !r.endPending {
			r.unacked += n
			if r.unacked >= streamWindow/2 {
				var w [4]byte
				binary.BigEndian.PutUint32(w[:], uint32(r.unacked))
				writeFrame(&h.c.out, http2.FrameWindowUpdate, 0, r.id, w[:])
				r.unacked = 0
				h.c.scheduleFlush()
			}
		}
	}
	r.respBuf = nil
	if r.endPending && !r.respEnded {
		r.respEnded = true
		if len(r.respTrail) > 0 {
			r.s.End(&httpspec.EndEx{Trailers: r.respTrail})
		} else {
			r.s.End(nil)
		}
		if !r.endSent {
			// The response is complete before the request: stop sending it.
			h.resetStream(r, http2.ErrCodeNo)
			return
		}
		h.maybeDone(r)
	}
}

func (h *h2Client) ackConn(n int) {
	h.recvUnacked += n
	if h.recvUnacked >= connWindow/4 {
		var w [4]byte
		binary.BigEndian.PutUint32(w[:], uint32(h.recvUnacked))
		writeFrame(&h.c.out, http2.FrameWindowUpdate, 0, 0, w[:])
		h.recvWindow += int64(h.recvUnacked)
		h.recvUnacked = 0
		h.c.scheduleFlush()
	}
}

// maybeDone forgets a stream whose request and response are complete.
func (h *h2Client) maybeDone(r *originReq) {
	if r.respEnded && r.endSent && !r.done {
		h.removeStream(r)
		r.finish()
	}
}

func (h *h2Client) removeStream(r *originReq) {
	if _, ok := h.streams[r.id]; !ok {
		return
	}
	delete(h.streams, r.id)
	h.c.cl.unreserve(h.c)
	h.startPending()
	if len(h.streams) == 0 && !h.goaway {
		h.c.idleH2()
	}
}

func (h *h2Client) startPending() {
	for len(h.pending) > 0 && h.settingsSeen && len(h.streams) < h.maxConcurrent && !h.goaway {
		r := h.pending[0]
		h.pending = h.pending[1:]
		if r.done {
			h.c.cl.unreserve(h.c)
			continue
		}
		h.start(r)
	}
}

// resetStream sends RST_STREAM and forgets the stream.
func (h *h2Client) resetStream(r *originReq, code http2.ErrCode) {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(code))
	writeFrame(&h.c.out, http2.FrameRSTStream, 0, r.id, b[:])
	h.c.scheduleFlush()
	h.removeStream(r)
	r.finish()
}

// cancel handles a requester that went away.
func (h *h2Client) cancel(r *originReq) {
	if r.done {
		return
	}
	h.resetStream(r, http2.ErrCodeCancel)
}

func (h *h2Client) connError(code http2.ErrCode, reason string) {
	c := h.c
	c.cl.bc.Log.Warn("http2 error from origin", "code", code.String(), "reason", reason, "authority", c.pool.key.authority)
	b := make([]byte, 8)
	binary.BigEndian.PutUint32(b[4:], uint32(code))
	writeFrame(&c.out, http2.FrameGoAway, 0, 0, b)
	c.out.flush(c.net)
	c.fail()
}

func (h *h2Client) goAway() {
	b := make([]byte, 8)
	writeFrame(&h.c.out, http2.FrameGoAway, 0, 0, b)
}

// closed fails every stream when the connection ends.
func (h *h2Client) closed() {
	h.failed = true
	for _, r := range h.streams {
		delete(h.streams, r.id)
		h.c.cl.unreserve(h.c)
		r.failed(502)
	}
	for _, r := range h.pending {
		h.c.cl.unreserve(h.c)
		r.failed(502)
	}
	h.pending = nil
}
