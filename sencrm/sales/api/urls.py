from rest_framework.routers import SimpleRouter

from sencrm.sales.api import views

router = SimpleRouter()
router.register("leads", views.LeadViewSet, basename="lead")
router.register("opportunities", views.OpportunityViewSet, basename="opportunity")
router.register("pipelines", views.PipelineViewSet, basename="pipeline")
router.register("stages", views.StageViewSet, basename="stage")

urlpatterns = router.urls
