/** `xsmb conformance`: placeholder replaced below. */
import type { Command } from 'commander';
/** Registers `conformance`. */
export function conformanceCommand(_program: Command): void {}
