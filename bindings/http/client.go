package http

import (
	"errors"

	"github.com/sluicehq/sluice/engine"
)

type client struct{}

func newClient(bc *engine.BindingContext, cfg *config, routes []route) (*client, error) {
	return &client{}, nil
}

func (*client) Accept(*engine.Stream, *engine.Frame) (engine.Receiver, error) {
	return nil, errors.New("todo")
}
