// App. A end to end as pure functions over byte arrays: sender, hub, recipient.
export { KEY_WORDS, MAC_WORDS, psrdBytesPerHub, shareWords } from './layout';
export { send, type SendParams, type SenderHub, type Sent } from './sender';
export { acceptRequest, decodeRequest, instruct, type HeldShare, type InstructionTarget } from './hub';
export {
  decodeInstruction, openInstruction, receive, recover,
  type Incoming, type ReceivedShare, type RecoverOptions, type Recovered, type Rejected,
} from './recipient';
