package kafka

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	kafkaspec "github.com/sluicehq/sluice/specs/kafka"
)

// errorEx describes err for a stream: the Kafka error code when there is
// one, and whether a later attempt may succeed. A missing topic, an
// unreachable cluster and a failed authentication are retriable from the
// stream's point of view: nothing is wrong with the request itself, and an
// operator can fix the cause while clients retry.
func errorEx(err error) *kafkaspec.ErrorEx {
	if err == nil {
		return nil
	}
	if e, ok := errors.AsType[*kafkaspec.ErrorEx](err); ok {
		return e
	}
	ex := &kafkaspec.ErrorEx{Code: kafkaspec.CodeUnknown, Message: err.Error()}
	if ke, ok := errors.AsType[*kerr.Error](err); ok {
		ex.Code, ex.Retriable = ke.Code, ke.Retriable
		switch ke.Code {
		case kafkaspec.CodeUnknownTopic, kafkaspec.CodeSaslAuthFailed, kafkaspec.CodeTopicAuthFailed,
			kafkaspec.CodeGroupAuthFailed, kafkaspec.CodeRequestTimedOut, kafkaspec.CodeBrokerNotAvailable:
			ex.Retriable = true
		}
		return ex
	}
	switch {
	case errors.Is(err, kgo.ErrRecordTimeout), errors.Is(err, context.DeadlineExceeded):
		ex.Code, ex.Retriable = kafkaspec.CodeRequestTimedOut, true
	case errors.Is(err, kgo.ErrMaxBuffered), errors.Is(err, kgo.ErrRecordRetries):
		ex.Code, ex.Retriable = kafkaspec.CodeRequestTimedOut, true
	case unreachable(err):
		ex.Code, ex.Retriable = kafkaspec.CodeBrokerNotAvailable, true
		ex.Message = "kafka cluster unreachable: " + err.Error()
	case errors.Is(err, kgo.ErrClientClosed), errors.Is(err, errClusterClosed), errors.Is(err, context.Canceled):
		ex.Code, ex.Retriable = kafkaspec.CodeBrokerNotAvailable, true
	case strings.Contains(err.Error(), "SASL"), strings.Contains(err.Error(), "sasl"):
		ex.Code, ex.Retriable = kafkaspec.CodeSaslAuthFailed, true
	}
	return ex
}

// unreachable reports whether err is a failure to reach a broker.
func unreachable(err error) bool {
	var op *net.OpError
	var dns *net.DNSError
	return errors.As(err, &op) || errors.As(err, &dns) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		strings.Contains(err.Error(), "unable to dial") || strings.Contains(err.Error(), "connection refused")
}

// topicError is the error for a topic the cluster does not have.
func topicError(topic string) *kafkaspec.ErrorEx {
	return &kafkaspec.ErrorEx{Code: kafkaspec.CodeUnknownTopic, Retriable: true,
		Message: "kafka topic " + topic + " does not exist"}
}
