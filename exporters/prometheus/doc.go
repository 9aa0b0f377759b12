// Package prometheus implements the prometheus exporter: every metric the
// engine keeps, served over HTTP in the Prometheus text format for a
// Prometheus server (or curl) to scrape.
//
//	telemetry:
//	  exporters:
//	    prometheus0:
//	      type: prometheus
//	      options:
//	        endpoints:
//	          - scheme: http      # the only scheme, as in Zilla
//	            port: 7190        # on every interface, as in Zilla
//	            path: /metrics    # the default
//
// Names follow Zilla's mapping: dots become underscores, a counter ends in
// _total, a byte count in _bytes (once: kafka_cache_bytes stays as it is).
// Each series has the labels namespace and binding, from the binding's
// qualified name; an engine-wide metric (stream_active) has none.
//
//	stream_opens_received_total{namespace="example",binding="north_http_server"} 42
//	stream_data_sent_bytes_total{namespace="example",binding="north_tcp_server"} 90211
//	kafka_cache_bytes{namespace="example",binding="south_kafka_cache_server"} 1048576
//
// The metrics, every one served, are Zilla's stream group, counted by
// direction as Zilla counts them: "sent" is what a binding's endpoints send
// (the Begin of a stream it opens, or of its reply to one it accepted),
// "received" what is delivered to them. An echo server's opens, closes and
// data are the same sent and received, as in Zilla's own example.
//
//	stream_opens_sent_total, _received_total        Begin frames
//	stream_closes_sent_total, _received_total       End frames
//	stream_errors_sent_total, _received_total       Abort and Reset frames, refused and failed streams
//	stream_data_sent_bytes_total, _received_...     Data payload bytes
//	stream_active_sent, stream_active_received      directions begun and not yet closed
//
// and sluice's own:
//
//	stream_active         streams open in the engine (no labels)
//	kafka_cache_bytes     a cache_server's record log, in bytes
//	kafka_cache_entries   a cache_server's records held
//
// Which bindings record which stream metrics follows Zilla: a namespace's
// telemetry.metrics lists the names, and a binding's telemetry.metrics
// patterns pick from them; a namespace that lists none has every binding
// record the whole group. telemetry.attributes add no labels, and names
// outside the stream group (http.duration, say) are recorded by nothing
// yet; the loader warns of both.
//
// The exporter writes the text exposition format (version 0.0.4, which
// every Prometheus scraper accepts) itself: client_golang, measured in
// this binary, added 4.3 MB to it and 2.3 MiB to the idle resident memory
// of every sluice process, exporter or not, for what is here a few lines.
// Its tests check each scrape with Prometheus's own parser.
//
// A port that cannot be bound fails the engine's start, naming the
// exporter.
package prometheus
