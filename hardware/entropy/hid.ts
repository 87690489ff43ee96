// HID-class devices through node-hid: enumeration only (no HID RNG is driven yet). node-hid needs
// libusb at run time; where it cannot load, the caller gets a warning instead of an exception.
import { hex4 } from './usb-bulk';

export interface HidDeviceInfo {
  readonly vendorId: string;
  readonly productId: string;
  readonly path?: string;
  readonly serial?: string;
  readonly manufacturer?: string;
  readonly product?: string;
}

export interface HidListing {
  readonly devices: readonly HidDeviceInfo[];
  readonly warning?: string;
}

export async function listHidDevices(): Promise<HidListing> {
  let hid: typeof import('node-hid');
  try {
    const mod = await import('node-hid');
    hid = (mod as unknown as { default?: typeof import('node-hid') }).default ?? mod;
  } catch (e) {
    return { devices: [], warning: `HID devices cannot be listed: node-hid does not load (${(e as Error).message}).` };
  }
  try {
    const found = await hid.devicesAsync();
    return {
      devices: found.map((d) => ({
        vendorId: hex4(d.vendorId),
        productId: hex4(d.productId),
        ...(d.path ? { path: d.path } : {}),
        ...(d.serialNumber ? { serial: d.serialNumber } : {}),
        ...(d.manufacturer ? { manufacturer: d.manufacturer } : {}),
        ...(d.product ? { product: d.product } : {}),
      })),
    };
  } catch (e) {
    return { devices: [], warning: `HID devices cannot be listed: ${(e as Error).message}` };
  }
}
