"""Vietnam's 2025 two-tier administrative units (34 provinces, 3,321 communes/wards)."""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inspect_app.extensions import db


class Province(db.Model):
    __tablename__ = "provinces"

    code: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(120))
    division_type: Mapped[str] = mapped_column(String(40))
    codename: Mapped[str] = mapped_column(String(120))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    wards: Mapped[list[Ward]] = relationship(back_populates="province", order_by="Ward.name")

    def __str__(self) -> str:
        return self.name


class Ward(db.Model):
    """A commune (xã), ward (phường) or special zone (đặc khu).

    Rows are keyed by the official code; a code that disappears from a newer data
    package is marked inactive rather than deleted, so stored references survive.
    """

    __tablename__ = "wards"

    code: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(120))
    division_type: Mapped[str] = mapped_column(String(40))
    codename: Mapped[str] = mapped_column(String(120))
    province_code: Mapped[int] = mapped_column(ForeignKey("provinces.code"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    province: Mapped[Province] = relationship(back_populates="wards")

    def __str__(self) -> str:
        return self.name
