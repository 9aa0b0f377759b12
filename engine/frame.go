package engine

import "fmt"

// FrameType identifies one of the eight frame kinds of the stream model.
type FrameType uint8

// The frame types. Begin, Data, End, Abort and Flush travel along a
// direction; Window, Reset and Challenge travel back against it.
const (
	// BeginFrame opens a direction and carries its typed extension.
	BeginFrame FrameType = iota + 1
	// DataFrame carries payload bytes, consuming the receiver's window.
	DataFrame
	// EndFrame closes a direction cleanly.
	EndFrame
	// AbortFrame closes a direction abruptly.
	AbortFrame
	// FlushFrame carries an extension without payload (progress, filter change).
	FlushFrame
	// WindowFrame grants the sender more credit: bytes the receiver accepts.
	WindowFrame
	// ResetFrame refuses further frames on a direction.
	ResetFrame
	// ChallengeFrame asks the origin of a direction to re-authorize.
	ChallengeFrame
)

var frameNames = [...]string{"", "begin", "data", "end", "abort", "flush", "window", "reset", "challenge"}

// String returns the lower-case frame name used in logs and spec scripts.
func (t FrameType) String() string {
	if int(t) < len(frameNames) && t != 0 {
		return frameNames[t]
	}
	return fmt.Sprintf("frame(%d)", uint8(t))
}

// Along reports whether frames of this type travel along their direction
// (Begin, Data, End, Abort, Flush) rather than back against it.
func (t FrameType) Along() bool { return t >= BeginFrame && t <= FlushFrame }

// Data frame flags. A message may be split over several Data frames; the
// first carries FlagInit and the last FlagFin. A Data frame without flags
// set is a continuation in the middle of a message. Bindings that do not
// frame messages (tcp, tls) send every Data frame with FlagInit|FlagFin.
const (
	FlagFin        uint8 = 0x01
	FlagInit       uint8 = 0x02
	FlagIncomplete uint8 = 0x04
	// FlagsComplete marks a Data frame holding one whole message.
	FlagsComplete = FlagInit | FlagFin
)

// Frame is one frame on a stream. A single struct covers all eight types so
// that frames queue by value without allocating; fields that do not apply to
// a type are zero.
//
// A receiver may keep Payload and Ext after Receive returns: ownership of
// both passes with the frame and the sender must not modify them afterwards.
// The *Frame itself is only valid during the call.
type Frame struct {
	Type FrameType
	// Flags holds Data frame flags (FlagInit, FlagFin, ...).
	Flags uint8
	// Credit is the number of additional bytes granted by a Window frame.
	Credit int
	// Padding, on a Window frame, is the receiver's overhead per Data
	// frame: from then on each Data frame costs its payload plus Padding
	// of credit, so a receiver that adds framing to every message (sse) or
	// must bound empty frames (a Kafka tombstone) accounts for them. Zero
	// leaves the padding in force unchanged; a negative value clears it.
	// Stream.WindowPadded sets it.
	Padding int
	// Affinity and Authorization are set on Begin: the affinity hint and the
	// guard session that authorizes the stream (0 when none).
	Affinity      uint64
	Authorization uint64
	// Payload holds the bytes of a Data frame.
	Payload []byte
	// Ext is the typed extension defined by the protocol's spec package,
	// passed by pointer in-process (for example *http.BeginEx).
	Ext any
}

// String renders the frame for logs and test failures.
func (f *Frame) String() string {
	switch f.Type {
	case DataFrame:
		return fmt.Sprintf("data(%d bytes, flags %#x, ext %T)", len(f.Payload), f.Flags, f.Ext)
	case WindowFrame:
		if f.Padding > 0 {
			return fmt.Sprintf("window(+%d, padding %d)", f.Credit, f.Padding)
		}
		return fmt.Sprintf("window(+%d)", f.Credit)
	default:
		if f.Ext != nil {
			return fmt.Sprintf("%s(ext %T)", f.Type, f.Ext)
		}
		return f.Type.String()
	}
}

// Receiver gets the frames sent to one stream endpoint. The engine calls
// Receive serially for an endpoint, in the order the frames were sent, on
// the endpoint's Executor; Receive must not block on network or Kafka I/O.
type Receiver interface {
	Receive(s *Stream, f *Frame)
}

// ReceiverFunc adapts a function to the Receiver interface.
type ReceiverFunc func(s *Stream, f *Frame)

// Receive calls fn(s, f).
func (fn ReceiverFunc) Receive(s *Stream, f *Frame) { fn(s, f) }
