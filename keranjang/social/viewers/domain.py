"""Viewers' rules in plain Python. Errors are social's own (`keranjang.social.domain`)."""

import re
from dataclasses import dataclass

from keranjang.social.domain import Invalid

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{2,}$")
MIN_PASSWORD = 10
MAX_PASSWORD = 200


@dataclass(frozen=True)
class Viewer:
    id: int
    email: str
    name: str


@dataclass(frozen=True)
class NewViewer:
    email: str
    name: str
    password: str


def check_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 254 or not EMAIL.match(email):
        raise Invalid("email must be an address like name@example.com", "email_format")
    return email


def check_name(name: str) -> str:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 80:
        raise Invalid("name must be 1 to 80 characters", "name_length", low=1, high=80)
    return name


def check_password(password: str) -> str:
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(
            f"password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters",
            "password_length",
            low=MIN_PASSWORD,
            high=MAX_PASSWORD,
        )
    return password


def check_new_viewer(new: NewViewer) -> NewViewer:
    return NewViewer(check_email(new.email), check_name(new.name), check_password(new.password))
