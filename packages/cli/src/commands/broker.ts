/** `xsmb broker`: placeholder replaced below. */
import type { Command } from 'commander';
/** Registers `broker`. */
export function brokerCommand(_program: Command): void {}
