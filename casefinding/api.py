"""The endpoint an integration engine pushes a feed to: the same reading as ``find_cases``."""

from django.conf import settings
from django.http import HttpResponse
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from casefinding import readers
from casefinding.services import cases_find
from programmes.authority import Capability
from programmes.permissions import ProgrammeAPIView

HL7_MEDIA_TYPE = "x-application/hl7-v2+er7"
# The request's content type -> the feed's format (text/plain: HL7 when it starts with MSH).
MEDIA_FORMATS = {
    "application/fhir+json": "fhir",
    "application/json": "fhir",
    "text/csv": "csv",
    HL7_MEDIA_TYPE: "hl7v2",
    "text/plain": "hl7v2",
}


class FeedParser(BaseParser):
    """Declares the feeds' media types (content negotiation, the schema); the view reads the raw body."""

    media_type = "*/*"

    def parse(self, stream, media_type=None, parser_context=None):
        return stream


def _parser(media: str) -> type[FeedParser]:
    return type(f"FeedParser_{MEDIA_FORMATS[media]}_{len(media)}", (FeedParser,), {"media_type": media})


class Hl7AckRenderer(BaseRenderer):
    """An HL7 v2 ACK for a sender that asked for one (``Accept: x-application/hl7-v2+er7``)."""

    media_type = HL7_MEDIA_TYPE
    format = "hl7"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict) and "ack" in data:
            return data["ack"].encode()
        detail = data.get("detail", "") if isinstance(data, dict) else str(data)
        return readers.acknowledgements(
            "", code=readers.ACK_REJECT, note=str(detail), sender="", control_prefix="R"
        ).encode()


FindResult = inline_serializer(
    "CaseFindingResult",
    fields={
        "records": serializers.IntegerField(help_text="records in the body"),
        "candidates": serializers.IntegerField(help_text="new candidates proposed to the inbox"),
        "duplicates": serializers.IntegerField(help_text="records of a patient already held within 90 days"),
        "unchanged": serializers.IntegerField(help_text="records whose source_id was already read"),
        "excluded": serializers.DictField(child=serializers.IntegerField(), help_text="reason: records"),
        "sites": serializers.DictField(child=serializers.IntegerField(), help_text="fracture site: new candidates"),
    },
)
Refusal = inline_serializer("CaseFindingRefusal", fields={"detail": serializers.CharField()})


class CaseFindingAPI(ProgrammeAPIView):
    """Push a hospital feed: a FHIR R4 Bundle, a CSV extract or HL7 v2 messages."""

    read_capability = Capability.PATIENTS_WRITE
    write_capability = Capability.PATIENTS_WRITE
    http_method_names = ["post", "options"]
    parser_classes = [_parser(media) for media in MEDIA_FORMATS]
    renderer_classes = [JSONRenderer, Hl7AckRenderer]

    @extend_schema(
        operation_id="case_finding_push",
        summary="Read a hospital feed into the programme's case-finding inbox",
        description=(
            "The body is one feed: a FHIR R4 Bundle (application/fhir+json), a CSV extract with the columns "
            "source_id, patient_ref, sex, birth_date, event_date, codes, report_text (text/csv), or HL7 v2 ADT and "
            "ORU^R01 messages (x-application/hl7-v2+er7, or text/plain starting with MSH). All or nothing: a body "
            "that cannot be read stores nothing. Records already read are counted unchanged. With "
            "Accept: x-application/hl7-v2+er7 the answer is one HL7 ACK per message (MSA|AA, or MSA|AR when refused)."
        ),
        request={
            "application/fhir+json": OpenApiTypes.OBJECT,
            "text/csv": OpenApiTypes.STR,
            HL7_MEDIA_TYPE: OpenApiTypes.STR,
            "text/plain": OpenApiTypes.STR,
        },
        responses={
            200: FindResult,
            400: OpenApiResponse(Refusal, description="the body cannot be read as its format: record N: message"),
            413: OpenApiResponse(Refusal, description="the body is larger than CASE_FINDING_MAX_BYTES"),
            415: OpenApiResponse(Refusal, description="a content type the feed cannot be"),
        },
        examples=[
            OpenApiExample(
                "counts",
                value={
                    "records": 120,
                    "candidates": 4,
                    "duplicates": 1,
                    "unchanged": 0,
                    "excluded": {"age": 30, "no_fracture": 85},
                    "sites": {"hip": 2, "spine": 1, "wrist": 1},
                },
                response_only=True,
            )
        ],
    )
    def post(self, request, programme_slug):
        media = (request.content_type or "").split(";")[0].strip().lower()
        fmt = MEDIA_FORMATS.get(media)
        if fmt is None:
            raise exceptions.UnsupportedMediaType(
                media or "none",
                detail=_("send the feed as application/fhir+json, text/csv or x-application/hl7-v2+er7, not %(media)s")
                % {"media": media or _("no content type")},
            )
        limit = settings.CASE_FINDING_MAX_BYTES
        content = request._request.read(limit + 1)
        if len(content) > limit:
            return Response(
                {"detail": _("the body is larger than %(limit)s bytes; send the feed in parts") % {"limit": limit}},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        if media == "text/plain" and readers.detect_format(content[:64]) != "hl7v2":
            raise exceptions.UnsupportedMediaType(
                media, detail=_("a text/plain body is read as HL7 v2 and must start with an MSH segment")
            )
        wants_ack = isinstance(request.accepted_renderer, Hl7AckRenderer)
        try:
            counts = cases_find(programme=self.programme, content=content, fmt=fmt, actor=request.user, via="api")
        except readers.Unreadable as exc:
            detail = _("%(problem)s; nothing was stored") % {"problem": exc}
            if wants_ack:
                return self._ack(content, readers.ACK_REJECT, detail, status.HTTP_400_BAD_REQUEST)
            return Response({"detail": detail}, status=status.HTTP_400_BAD_REQUEST)
        result = counts.as_dict()
        if wants_ack:
            note = _(
                "%(records)s records: %(candidates)s candidates, %(duplicates)s duplicates, %(unchanged)s unchanged"
            )
            return self._ack(content, readers.ACK_ACCEPT, note % result, status.HTTP_200_OK)
        return Response(result)

    def _ack(self, content: bytes, code: str, note: str, answer_status: int) -> HttpResponse:
        text = content.decode("utf-8", errors="replace")
        ack = readers.acknowledgements(
            text, code=code, note=note, sender=self.programme.slug.upper()[:20], control_prefix=get_random_string(8)
        )
        return HttpResponse(ack.encode(), status=answer_status, content_type=f"{HL7_MEDIA_TYPE}; charset=utf-8")
