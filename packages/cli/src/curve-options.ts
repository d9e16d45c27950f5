/**
 * The CURVE options every command takes, from flags or the environment
 * (flags win). Secret keys can always come from the environment, so they
 * need not appear on a command line (visible in `ps`).
 *
 * | flag                       | environment              | meaning                                         |
 * | -------------------------- | ------------------------ | ----------------------------------------------- |
 * | `--curve-server-key <z85>` | `XSMB_CURVE_SERVER_KEY`  | the server's public key (connecting side)       |
 * | `--curve-public-key <z85>` | `XSMB_CURVE_PUBLIC_KEY`  | this side's public key                          |
 * | `--curve-secret-key <z85>` | `XSMB_CURVE_SECRET_KEY`  | this side's secret key (prefer the environment) |
 * | `--curve-allow-key <z85>`  | `XSMB_CURVE_ALLOW_KEYS`  | a client key allowed in (binding side), repeatable; env: comma-separated |
 */

import { type ClientCurveOptions, generateKeyPair, type ServerCurveOptions } from '@xsmb/transport';
import { type Command, Option } from 'commander';
import { CliError } from './exit-code.js';

/** The parsed CURVE flags (commander's camel-cased names). */
export interface CurveFlags {
  /** `--curve-server-key`. */
  curveServerKey?: string | undefined;
  /** `--curve-public-key`. */
  curvePublicKey?: string | undefined;
  /** `--curve-secret-key`. */
  curveSecretKey?: string | undefined;
  /** `--curve-allow-key`, repeatable. */
  curveAllowKey?: string[] | undefined;
}

/** Adds the CURVE options to a command. */
export function withCurveOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--curve-server-key <z85>', "the server's CURVE public key (connecting side)").env(
        'XSMB_CURVE_SERVER_KEY',
      ),
    )
    .addOption(
      new Option('--curve-public-key <z85>', 'this side’s CURVE public key').env(
        'XSMB_CURVE_PUBLIC_KEY',
      ),
    )
    .addOption(
      new Option(
        '--curve-secret-key <z85>',
        'this side’s CURVE secret key (prefer the environment variable)',
      ).env('XSMB_CURVE_SECRET_KEY'),
    )
    .addOption(
      new Option(
        '--curve-allow-key <z85...>',
        'client public keys allowed in when binding (env: comma-separated)',
      )
        .env('XSMB_CURVE_ALLOW_KEYS')
        .argParser((value: string, previous: string[] | undefined) => [
          ...(previous ?? []),
          ...value.split(/[\s,]+/).filter((k) => k !== ''),
        ]),
    );
}

/**
 * The connecting side's CURVE options, or `undefined` without a server key.
 * Without a key pair of its own the client uses a fresh one (fine unless the
 * server has an allow-list).
 */
export function clientCurve(flags: CurveFlags): ClientCurveOptions | undefined {
  if (flags.curveServerKey === undefined) return undefined;
  if ((flags.curvePublicKey === undefined) !== (flags.curveSecretKey === undefined)) {
    throw new CliError('CURVE needs both --curve-public-key and --curve-secret-key');
  }
  const pair =
    flags.curvePublicKey !== undefined && flags.curveSecretKey !== undefined
      ? { publicKey: flags.curvePublicKey, secretKey: flags.curveSecretKey }
      : generateKeyPair();
  return { serverPublicKey: flags.curveServerKey, ...pair };
}

/** The binding side's CURVE options and allow-list, or `undefined` without a key pair. */
export function serverCurve(
  flags: CurveFlags,
): { curve: ServerCurveOptions; allowedClientKeys?: string[] } | undefined {
  if (flags.curvePublicKey === undefined && flags.curveSecretKey === undefined) {
    if (flags.curveAllowKey !== undefined) throw new CliError('--curve-allow-key needs CURVE keys');
    return undefined;
  }
  if (flags.curvePublicKey === undefined || flags.curveSecretKey === undefined) {
    throw new CliError('CURVE needs both --curve-public-key and --curve-secret-key');
  }
  const curve = { publicKey: flags.curvePublicKey, secretKey: flags.curveSecretKey };
  return flags.curveAllowKey === undefined
    ? { curve }
    : { curve, allowedClientKeys: flags.curveAllowKey };
}
