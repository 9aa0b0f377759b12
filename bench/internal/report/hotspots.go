package report

// Hotspots is where a profiled sluice process spent its CPU time and what
// it allocated, read from its pprof profiles.
type Hotspots struct {
	// CPU and Mem are the profiles, as saved.
	CPU string `json:"cpu"`
	Mem string `json:"mem,omitempty"`
	// Seconds is the CPU time the profile sampled.
	Seconds float64 `json:"seconds"`
	// Categories splits that time by kind of work, largest first.
	Categories []Share `json:"categories"`
	// Spots are the largest kinds of work, each with the sluice code it
	// happens under and what could be done.
	Spots []Spot `json:"spots"`
	// Top are the functions with the most CPU time of their own.
	Top []Hotspot `json:"top"`
	// Allocs are sluice's functions under which the most bytes were
	// allocated (the innermost sluice function of each allocation).
	Allocs []Hotspot `json:"allocs"`
	// AllocMB is the total allocated over the profile.
	AllocMB float64 `json:"allocMB"`
}

// Outside stands for the stacks without sluice code in a hot spot's list
// of functions.
const Outside = "no sluice code on the stack (the runtime's own work: background GC, the scheduler)"

// Share is a kind of work and its part of the CPU time.
type Share struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
	Percent float64 `json:"percent"`
}

// Spot is a kind of work that took much of the CPU time.
type Spot struct {
	Kind    string  `json:"kind"`
	Percent float64 `json:"percent"`
	// Where are the innermost sluice functions it happened under, as a
	// share of the CPU time, or for allocation of the bytes allocated.
	Where []Hotspot `json:"where"`
	// WhereAllocs says Where shares bytes allocated, not CPU time.
	WhereAllocs bool `json:"whereAllocs,omitempty"`
	// Hint says what could be done.
	Hint string `json:"hint"`
}

// Hotspot is one function of a profile.
type Hotspot struct {
	Function string  `json:"function"`
	Value    float64 `json:"value"` // seconds of CPU, or MB allocated
	Percent  float64 `json:"percent"`
	// Hint says what could be done about it.
	Hint string `json:"hint,omitempty"`
}
