from django_countries.serializers import CountryFieldMixin
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.response import Response

from programmes.authority import Capability
from programmes.models import Membership, Programme
from programmes.permissions import ProgrammeAPIView
from programmes.selectors import memberships_for_user, programme_members
from programmes.services.programme import PROGRAMME_COLUMNS


class ProgrammeSerializer(CountryFieldMixin, serializers.ModelSerializer):
    class Meta:
        model = Programme
        fields = [*PROGRAMME_COLUMNS, "public_profile"]


class MyProgrammeSerializer(serializers.Serializer):
    programme = ProgrammeSerializer()
    role = serializers.CharField()


class MemberSerializer(serializers.Serializer):
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")
    role = serializers.CharField()
    since = serializers.DateTimeField(source="created_at")


class MyProgrammesAPI(generics.ListAPIView):
    """The programmes the caller belongs to, with their role in each."""

    serializer_class = MyProgrammeSerializer
    pagination_class = None

    def get_queryset(self):
        return memberships_for_user(self.request.user)


class ProgrammeDetailAPI(ProgrammeAPIView):
    @extend_schema(responses=ProgrammeSerializer)
    def get(self, request, programme_slug):
        return Response(ProgrammeSerializer(self.programme).data)


class ProgrammeMembersAPI(ProgrammeAPIView):
    read_capability = Capability.TEAM_MANAGE
    write_capability = Capability.TEAM_MANAGE

    @extend_schema(responses=MemberSerializer(many=True))
    def get(self, request, programme_slug):
        members: list[Membership] = list(programme_members(self.programme))
        return Response(MemberSerializer(members, many=True).data)
