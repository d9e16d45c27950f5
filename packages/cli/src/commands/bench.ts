/** `xsmb bench`: placeholder replaced below. */
import type { Command } from 'commander';
/** Registers `bench`. */
export function benchCommand(_program: Command): void {}
