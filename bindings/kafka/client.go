package kafka

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/sluicehq/sluice/engine"
	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// client is the kafka client binding: it produces and fetches through
// franz-go on behalf of the merged streams routed to it.
type client struct {
	bc      *engine.BindingContext
	log     *slog.Logger
	cluster *cluster
}

func newClient(bc *engine.BindingContext, opts *Options) (*client, error) {
	// A client's routes only name the tcp or tls exit its connections to
	// the brokers dial through: nothing there could check who produces or
	// fetches, so a guard on one is refused rather than ignored.
	for i, r := range bc.Routes {
		if len(r.Config.Guarded) > 0 {
			return nil, engine.FieldErrorf(fmt.Sprintf("routes.%d.guarded", i), "a kafka client route cannot be guarded: "+
				"it names the exit to the brokers, not who may use them; guard the routes that lead to this client instead")
		}
	}
	cl, err := newCluster(bc, opts)
	if err != nil {
		return nil, err
	}
	return &client{bc: bc, log: bc.Log, cluster: cl}, nil
}

// Start checks the exit, whose dialer every connection to Kafka uses.
func (c *client) Start(context.Context) error { return c.cluster.useExit(c.bc.Routes) }

// Close closes the producers once their buffered records are delivered or
// failed. Fetch streams have been terminated by the engine already.
func (c *client) Close() error {
	c.cluster.close()
	return nil
}

// Accept takes a merged stream.
func (c *client) Accept(s *engine.Stream, begin *engine.Frame) (engine.Receiver, error) {
	ex, err := mergedBegin(begin)
	if err != nil {
		return nil, err
	}
	return &clientStream{c: c, begin: ex}, nil
}

// mergedBegin returns a stream's merged begin extension, or why it is not
// acceptable.
func mergedBegin(begin *engine.Frame) (*kafkaspec.BeginEx, error) {
	ex, ok := begin.Ext.(*kafkaspec.BeginEx)
	switch {
	case !ok:
		return nil, errors.New("kafka: a merged stream begins with a *kafka.BeginEx")
	case ex.Topic == "":
		return nil, errors.New("kafka: merged begin names no topic")
	case ex.Capabilities > kafkaspec.ProduceAndFetch:
		return nil, errors.New("kafka: merged begin has invalid capabilities")
	}
	return ex, nil
}

// clientStream is one merged stream served by the client: a produce side,
// a fetch side, or both, sharing the reply direction.
type clientStream struct {
	c       *client
	s       *engine.Stream
	begin   *kafkaspec.BeginEx
	produce *produceSession // &produceSide when the stream produces
	fetch   fetcher

	produceSide produceSession
	// replied is set once the reply has begun: acks wait for it on a
	// stream that also fetches.
	replied bool
	ended   bool // initial direction ended
}

// fetcher is the fetch side of a client stream: a fetch at offsets, or a
// consumer-group member.
type fetcher interface {
	start()
	window()
	commit(*kafkaspec.CommitEx)
	stop()
	done() bool
}

func (st *clientStream) Receive(s *engine.Stream, f *engine.Frame) {
	switch f.Type {
	case engine.BeginFrame:
		st.s = s
		if st.begin.Capabilities.Produces() {
			st.produce = initProduceSession(&st.produceSide, st)
		}
		if st.begin.Capabilities.Fetches() {
			if st.begin.GroupID != "" {
				st.fetch = newGroupFetch(st)
			} else {
				st.fetch = newFetchSession(st)
			}
			st.fetch.start()
		} else {
			st.replyBegin(nil)
		}
		if st.produce != nil {
			st.produce.start()
		}
	case engine.DataFrame:
		if st.produce == nil {
			st.fail(&kafkaspec.ErrorEx{Code: kafkaspec.CodeInvalidRequest, Message: "data on a fetch-only merged stream"})
			return
		}
		st.produce.data(f)
	case engine.FlushFrame:
		if c, ok := f.Ext.(*kafkaspec.CommitEx); ok && st.fetch != nil {
			st.fetch.commit(c)
		}
	case engine.EndFrame:
		st.ended = true
		st.maybeEnd()
	case engine.AbortFrame, engine.ResetFrame:
		st.abandon()
		s.Terminate(nil)
	case engine.WindowFrame:
		if st.fetch != nil {
			st.fetch.window()
		}
	}
}

// replyBegin opens the reply, then lets waiting acks through.
func (st *clientStream) replyBegin(ex *kafkaspec.ReplyBeginEx) {
	if st.replied || st.s.OutClosed() {
		return
	}
	st.replied = true
	if ex == nil {
		st.s.Begin(nil)
	} else {
		st.s.Begin(ex)
	}
	if st.produce != nil {
		st.produce.deliver()
	}
}

// maybeEnd ends the reply once the opener ended its direction and every
// record it sent has its ack, or once a historical fetch is done.
func (st *clientStream) maybeEnd() {
	if st.s.OutClosed() || !st.replied {
		return
	}
	fetchDone := st.fetch == nil || st.fetch.done()
	produceDone := st.produce == nil || st.produce.idle()
	switch {
	case st.ended && produceDone:
		st.close()
		st.s.End(nil)
	case fetchDone && st.fetch != nil && st.produce == nil:
		st.close()
		st.s.End(nil)
	}
}

// fail ends the stream with a Kafka error in both directions (the reply
// may not have begun: an Abort without a Begin).
func (st *clientStream) fail(ex *kafkaspec.ErrorEx) {
	st.close()
	st.replied = true
	st.s.Reset(ex)
	st.s.Abort(ex)
}

// close stops the fetch side; records already produced still complete.
func (st *clientStream) close() {
	if st.fetch != nil {
		st.fetch.stop()
	}
}

// abandon stops everything: the opener went away, acks have nowhere to go.
func (st *clientStream) abandon() {
	st.close()
	if st.produce != nil {
		st.produce.stop()
	}
}

var (
	_ engine.Acceptor = (*client)(nil)
	_ engine.Starter  = (*client)(nil)
	_ engine.Receiver = (*clientStream)(nil)
)
