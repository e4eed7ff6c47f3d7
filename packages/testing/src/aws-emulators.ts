import { Server } from 'node:http';
import { createRequire } from 'node:module';
import { buildApp } from 'fauxqs';
import { closeServer, listenOnLoopback } from './aws-loopback.ts';
import { type FakeEventBridge, startFakeEventBridge } from './fake-eventbridge.ts';
import { type FakeSts, startFakeSts } from './fake-sts.ts';

/**
 * The AWS edge for tests, all in-process on 127.0.0.1 with OS-chosen ports: fauxqs (SQS and SNS
 * on one endpoint), kinesalite (Kinesis, in memory), the fake EventBridge and the fake STS. Point
 * Sluice at them with the AWS_ENDPOINT_URL_* variables; none checks signatures, so any
 * credentials do (the fake STS hands out random ones).
 */

export const EMULATOR_REGION = 'us-east-1';
/** Credentials for clients that talk to the emulators directly (nothing checks them). */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'AKIAEMULATOR00000000', secretAccessKey: 'emulator-secret' };

export interface AwsEmulators {
  /** fauxqs: SQS (AWS JSON 1.0) and SNS (query) share it. */
  sqsSnsEndpoint: string;
  kinesisEndpoint: string;
  eventBridgeEndpoint: string;
  fakeEventBridge: FakeEventBridge;
  stsEndpoint: string;
  fakeSts: FakeSts;
  region: string;
  /** The variables that point Sluice (parseConfig) at these emulators. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

type KinesaliteOptions = {
  createStreamMs?: number;
  deleteStreamMs?: number;
  updateStreamMs?: number;
  shardLimit?: number;
};

/** kinesalite is CommonJS without types: load it and check that it is what we expect. */
function kinesaliteServer(options: KinesaliteOptions): Server {
  const factory: unknown = createRequire(import.meta.url)('kinesalite');
  if (typeof factory !== 'function') throw new Error('kinesalite did not export a server factory');
  const server: unknown = factory(options);
  if (!(server instanceof Server)) throw new Error('kinesalite did not return an http.Server');
  return server;
}

export async function startAwsEmulators(): Promise<AwsEmulators> {
  // fauxqs listens on 0.0.0.0 through startFauxqs; building the app ourselves keeps it on loopback.
  const fauxqs = buildApp({ logger: false, defaultRegion: EMULATOR_REGION });
  const fauxqsAddress = await fauxqs.listen({ host: '127.0.0.1', port: 0 });

  // Streams turn ACTIVE after createStreamMs; the default 500 ms only slows tests down.
  const kinesis = kinesaliteServer({ createStreamMs: 20, deleteStreamMs: 20, updateStreamMs: 20, shardLimit: 50 });
  const kinesisPort = await listenOnLoopback(kinesis);

  const fakeSts = await startFakeSts();
  const fakeEventBridge = await startFakeEventBridge({ region: EMULATOR_REGION });

  const sqsSnsEndpoint = fauxqsAddress;
  const kinesisEndpoint = `http://127.0.0.1:${kinesisPort}`;
  return {
    sqsSnsEndpoint,
    kinesisEndpoint,
    eventBridgeEndpoint: fakeEventBridge.endpoint,
    fakeEventBridge,
    stsEndpoint: fakeSts.endpoint,
    fakeSts,
    region: EMULATOR_REGION,
    env: {
      AWS_REGION: EMULATOR_REGION,
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_SQS: sqsSnsEndpoint,
      AWS_ENDPOINT_URL_SNS: sqsSnsEndpoint,
      AWS_ENDPOINT_URL_KINESIS: kinesisEndpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: fakeEventBridge.endpoint,
      AWS_ENDPOINT_URL_STS: fakeSts.endpoint,
    },
    async stop() {
      await Promise.allSettled([fauxqs.close(), closeServer(kinesis), fakeSts.stop(), fakeEventBridge.stop()]);
    },
  };
}
