// Configures the protobufjs runtime before the generated code loads: 64-bit fields decode to
// plain numbers (the schema keeps them below 2^53, and validation rejects anything larger)
// instead of Long objects, and their defaults are numbers too.
import $protobuf from "protobufjs/minimal.js";

($protobuf.util as { Long: unknown }).Long = undefined;
$protobuf.configure();
