import { type ServiceProcess, startServiceProcess } from './service-process.ts';

export type WorkerProcess = ServiceProcess;

/** A real worker process (apps/worker/src/main.ts), for tests that kill or stop it. */
export const startWorkerProcess = (env: Record<string, string>): Promise<WorkerProcess> =>
  startServiceProcess('worker', env);
