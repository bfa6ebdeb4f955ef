// The kernel check: read the facts under a root, decide.
import type { KernelVerdict } from "./decide.js";
import { decideKernel } from "./decide.js";
import { readKernelFacts } from "./facts.js";

export type { KernelVerdict } from "./decide.js";

export function checkKernel(root = "/"): KernelVerdict {
  return decideKernel(readKernelFacts(root));
}
