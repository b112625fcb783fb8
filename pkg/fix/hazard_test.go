package fix

// hazard is a case of a hazard real files showed: the input and the
// expected output in each mode.
type hazard struct {
	name, in string
	// safe and unsafe are the wanted outputs of fix and fix
	// --unsafe-fixes; "" means unchanged.
	safe, unsafe string
}

var hazards = []hazard{}
