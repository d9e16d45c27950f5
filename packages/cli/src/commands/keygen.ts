/** `xsmb keygen`: a CURVE key pair in Z85. */

import { generateKeyPair } from '@xsmb/transport';
import type { Command } from 'commander';
import { out } from '../output.js';

/** Registers `keygen`. */
export function keygenCommand(program: Command): void {
  program
    .command('keygen')
    .description('generate a CURVE key pair (Z85), printed as environment assignments')
    .option('--json', 'print {"publicKey", "secretKey"}')
    .addHelpText(
      'after',
      '\nThe default output can be sourced by a shell: it sets XSMB_CURVE_PUBLIC_KEY and\nXSMB_CURVE_SECRET_KEY, which every xsmb command reads.',
    )
    .action((flags: { json?: boolean }) => {
      const { publicKey, secretKey } = generateKeyPair();
      if (flags.json === true) out(JSON.stringify({ publicKey, secretKey }));
      else {
        // Single quotes: Z85 has no quote characters but does have $ and other shell metacharacters.
        out(`XSMB_CURVE_PUBLIC_KEY='${publicKey}'`);
        out(`XSMB_CURVE_SECRET_KEY='${secretKey}'`);
      }
    });
}
