"""Case-domain reference data: violation categories."""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from inspect_app.extensions import db


class Category(db.Model):
    """A kind of violation within the QLTT scope (hàng giả, hàng cấm …)."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_vi: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    def name_for(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_vi
