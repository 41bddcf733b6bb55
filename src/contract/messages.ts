// The batch workflow's messages: its signals, queries and updates. The only file of the contract that
// imports @temporalio/workflow, so a command that sends none of them does not load it.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Limits, LimitsChange } from './options';
import type { BatchProgress } from './progress';

export interface TokenRefreshedInput {
  /** The new token, sealed; absent: workers re-read their own token source. */
  sealedToken?: string;
  /** When it expires (ms since epoch), when it is a JWT with `exp`. */
  expiresAt?: number;
}

export const tokenRefreshedSignal = defineSignal<[TokenRefreshedInput?]>('tokenRefreshed');

/** What `refresh-token` is told: whether the batch was waiting and resumed, and where. */
export interface RefreshTokenReply {
  resumed: boolean;
  pending: number;
  resumeFromClientId: string | null;
  /** For people: `Resumed batch X: 8 pending, resume from C-001601`, or `the batch was not waiting; token replaced`. */
  message: string;
}

/** `clientsync set`: new limits for a running batch, validated, recorded in history; the reply says what changed. */
export const setLimitsUpdate = defineUpdate<{ message: string; limits: Limits }, [LimitsChange]>('setLimits');

/** `tokenRefreshed` with an answer: its validator refuses a token the workers could not use, so it never enters history. */
export const refreshTokenUpdate = defineUpdate<RefreshTokenReply, [TokenRefreshedInput]>('refreshToken');

export const pauseSignal = defineSignal('pause');

export const resumeSignal = defineSignal('resume');

export const progressQuery = defineQuery<BatchProgress>('progress');
