"""What a buyer pays with: a virtual-account number and a QRIS payload, derived from the
transaction so they are stable across page loads. Plain Python."""

import binascii
import hashlib

# Each bank's virtual accounts start with the company code it gave the (simulated) merchant.
VA_PREFIXES = {
    "bca": "39010",
    "bni": "98801",
    "bri": "88810",
    "mandiri": "89608",
    "permata": "85620",
    "cimb": "51910",
}
VA_DIGITS = 16
MERCHANT_NAME = "KERANJANG SIMULATOR"


def digits_of(text: str, count: int) -> str:
    number = int(hashlib.sha256(text.encode()).hexdigest(), 16)
    return str(number % 10**count).zfill(count)


def va_number(bank: str, transaction_id: str) -> str:
    prefix = VA_PREFIXES[bank]
    return prefix + digits_of(f"{bank}:{transaction_id}", VA_DIGITS - len(prefix))


def tlv(tag: str, value: str) -> str:
    """One EMVCo tag-length-value field, as QRIS payloads are built."""
    return f"{tag}{len(value):02d}{value}"


def qris_payload(transaction_id: str, order_id: str, amount: int) -> str:
    """A dynamic QRIS (EMVCo merchant-presented) payload with its CRC; it names a simulated
    merchant, so real banking apps will not pay it."""
    merchant = tlv("00", "ID.CO.KERANJANG.SIM") + tlv("01", "9360" + digits_of(transaction_id, 11))
    reference = tlv("01", order_id[:25]) + tlv("05", transaction_id[:25])
    payload = (
        tlv("00", "01")
        + tlv("01", "12")
        + tlv("26", merchant)
        + tlv("52", "5399")
        + tlv("53", "360")
        + tlv("54", str(amount))
        + tlv("58", "ID")
        + tlv("59", MERCHANT_NAME)
        + tlv("60", "JAKARTA")
        + tlv("62", reference)
        + "6304"
    )
    # CRC-16/CCITT-FALSE (polynomial 0x1021, start 0xFFFF), which binascii computes.
    return payload + f"{binascii.crc_hqx(payload.encode(), 0xFFFF):04X}"
