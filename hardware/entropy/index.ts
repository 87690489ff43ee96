// The entropy drivers' public surface (see README.md).
export * from './source';
export * from './spec';
export * from './devices';
export { createSource, DEFAULT_READ_TIMEOUT_MS, type CreateSourceOptions } from './open';
export { enumerateSources, type Enumeration, type EnumerationWarning, type FoundSource, type EnumerateOptions } from './enumerate';
export { OsEntropySource } from './os';
export { DeviceFileEntropySource, type DeviceFileOptions } from './device-file';
export { SerialEntropySource, listSerialPorts, type SerialPortInfo, type ListSerialPorts, type SerialSourceOptions } from './serial';
export { UsbBulkEntropySource, loadUsb, listUsbDevices, type UsbLike, type UsbDeviceLike, type UsbBulkOptions } from './usb-bulk';
export { listHidDevices, type HidDeviceInfo, type HidListing } from './hid';
