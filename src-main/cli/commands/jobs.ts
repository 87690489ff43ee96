// `dske-station jobs …`: the station's long work, as recorded (interrupted jobs found at this start).
import type { JobView } from '../../../src-shared/api/jobs';
import { noArgs, type Command } from '../command';

const jobs = (list: readonly JobView[]): string =>
  list.length === 0 ? 'No jobs.' : list.map((j) => `${j.id}  ${j.state.padEnd(11)} ${j.startedAt}  ${j.title}${j.state === 'interrupted' ? ` (${j.phase})` : ''}`).join('\n');

export const jobsCommands: readonly Command[] = [
  { words: 'jobs list', usage: 'jobs list', summary: 'jobs interrupted when the station last stopped', call: 'jobs.list', mode: 'write', args: noArgs, show: jobs },
];
