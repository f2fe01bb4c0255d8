from tests.notify.conftest import mail_settings, mailbox, make_case, org  # noqa: F401
