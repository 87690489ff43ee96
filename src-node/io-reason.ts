// The words for why a file operation failed, for the person at the desk: never errno text.
export function ioReason(e: unknown): string {
  switch ((e as NodeJS.ErrnoException | undefined)?.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the disk is full';
    case 'EROFS':
      return 'the disk is read-only';
    case 'ENOENT':
    case 'ENOTDIR':
      return 'it is missing';
    case 'EISDIR':
      return 'it is a folder';
    case 'EIO':
      return 'the disk reported an error';
    case 'ENODEV':
    case 'ENXIO':
      return 'the device is gone';
    default:
      return 'the system refused';
  }
}
