"""Destination registry: destination name (as written in sync declarations) -> class."""

from activation.destinations.attentive import AttentiveDestination
from activation.destinations.base import Destination
from activation.destinations.braze import BrazeDestination
from activation.destinations.file import FileDestination
from activation.destinations.iterable import IterableDestination
from activation.destinations.klaviyo import KlaviyoDestination
from activation.destinations.mailchimp import MailchimpDestination
from activation.destinations.sendlane import SendlaneDestination
from activation.destinations.twilio import TwilioDestination
from activation.destinations.webhook import WebhookDestination
from activation.destinations.whatsapp import WhatsappDestination

DESTINATIONS: dict[str, type[Destination]] = {
    cls.name: cls
    for cls in (
        KlaviyoDestination,
        MailchimpDestination,
        SendlaneDestination,
        IterableDestination,
        BrazeDestination,
        AttentiveDestination,
        TwilioDestination,
        WhatsappDestination,
        WebhookDestination,
        FileDestination,
    )
}
