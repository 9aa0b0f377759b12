// Package inline implements the inline guard: static identity and
// credentials written in zilla.yaml, which a binding presents on the
// configuration's behalf. The kafka client uses it for SASL under
// `options.authorization` (Zilla 2.x):
//
//	guards:
//	  kafka_credentials:
//	    type: inline
//	    options:
//	      identity: alice
//	      credentials: ${{env.KAFKA_PASSWORD}}
//	bindings:
//	  south_kafka_client:
//	    type: kafka
//	    kind: client
//	    options:
//	      servers: [ "${{env.KAFKA_BOOTSTRAP_SERVERS}}" ]
//	      authorization:
//	        kafka_credentials:
//	          credentials:
//	            mechanism: scram-sha-256
//	            username: "{identity}"
//	            password: "{credentials}"
//
// Options: identity and credentials (strings, usually from the
// environment), and format, accepted for compatibility and not used. An
// inline guard has one session for every stream, which holds no roles: a
// route guarded by it with an empty role list is always taken, one that
// requires roles never is.
package inline
